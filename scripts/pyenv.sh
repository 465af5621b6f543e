#!/usr/bin/env bash
# A Python virtualenv at .venv with the independent Delta readers the tests use
# (deltalake, polars, pyarrow, openpyxl from PyPI). Idempotent: quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
py="$venv/bin/python"
check='import deltalake, polars, pyarrow, openpyxl'
if [ -x "$py" ] && "$py" -c "$check" >/dev/null 2>&1; then
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$venv"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$py" -m pip install --quiet --disable-pip-version-check 'deltalake>=1.1' 'polars>=1.0' pyarrow openpyxl
"$py" -c "$check; print('python readers:', 'deltalake', deltalake.__version__, 'polars', polars.__version__)"
