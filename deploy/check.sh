#!/usr/bin/env bash
# Offline checks of deploy/ (no cluster, no Docker daemon, no Azure, no Windows):
#   bash deploy/check.sh
# Needs python3 (makes a venv with PyYAML, kubernetes and openpyxl, or uses DEPLOY_CHECK_PYTHON),
# kubectl (for kustomize) and systemd-analyze. A missing tool skips its check, or fails it when
# CI=true. INGEST_BIN (default target/release/ingest, then target/debug/ingest) is the binary
# whose `run` flags the manifests must use.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
missing() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $1 (CI=true)"; failed=1; else echo "SKIP: $1"; fi
}

py=${DEPLOY_CHECK_PYTHON:-}
if [ -z "$py" ]; then
  venv=${TMPDIR:-/tmp}/ingest-deploy-check-venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import yaml, kubernetes, openpyxl' 2>/dev/null \
    || "$venv/bin/pip" install -q pyyaml kubernetes openpyxl
  py=$venv/bin/python
fi
check() { "$py" deploy/check_manifests.py "$@" || failed=1; }

echo "== kubernetes: kustomize build, then the API models"
if command -v kubectl >/dev/null 2>&1; then
  cp -r deploy/kubernetes "$work/k8s"
  cp deploy/kubernetes/secrets.toml.example "$work/k8s/secrets.toml"
  cp deploy/kubernetes/ingest.env.example "$work/k8s/ingest.env"
  cp samples/ingestion_config.xlsx "$work/k8s/ingestion_config.xlsx"
  kubectl kustomize "$work/k8s" >"$work/k8s.yaml"
  check k8s "$work/k8s.yaml"
else
  missing "kubectl not found: kustomization not built, Kubernetes objects not checked"
fi

echo "== azure container apps, windows task, Dockerfile"
check aca deploy/azure-container-apps/ingest-job.yaml
check xml deploy/windows/ingest-task.xml
check docker deploy/Dockerfile .

bin=${INGEST_BIN:-}
for b in target/release/ingest target/debug/ingest; do
  [ -z "$bin" ] && [ -x "$b" ] && bin=$b
done

echo "== systemd"
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify wants ExecStart's binary to exist: point it at the build (or /bin/true).
  mkdir -p "$work/systemd"
  sed "s#^ExecStart=/usr/local/bin/ingest#ExecStart=$(realpath "${bin:-/bin/true}")#" \
    deploy/systemd/ingest.service >"$work/systemd/ingest.service"
  cp deploy/systemd/ingest.timer "$work/systemd/"
  # verify exits 0 on unknown keys: any output is a finding.
  out=$(systemd-analyze verify "$work/systemd/ingest.service" "$work/systemd/ingest.timer" 2>&1) \
    || failed=1
  if [ -n "$out" ]; then echo "$out"; failed=1; else echo "systemd: verify clean"; fi
  # `security --offline` exits 1 even below the threshold: read the exposure level instead.
  line=$(systemd-analyze security --offline=yes "$work/systemd/ingest.service" 2>&1 | tail -1 || true)
  echo "$line"
  level=$(printf '%s\n' "$line" | grep -oE 'level for [^:]+: [0-9]+(\.[0-9]+)?' | grep -oE '[0-9]+(\.[0-9]+)?$' || true)
  if [ -z "$level" ] || awk -v l="$level" 'BEGIN { exit !(l > 3) }'; then
    echo "systemd: exposure level ${level:-unknown} above 3"; failed=1
  fi
else
  missing "systemd-analyze not found: units not verified"
fi

echo "== the manifests against the ingest binary"
if [ -n "$bin" ] && [ -f "$work/k8s.yaml" ]; then
  echo "binary: $bin"
  check binary "$bin" "$work/validate" "$work/k8s.yaml" deploy/kubernetes/ingest.env.example \
    deploy/azure-container-apps/ingest-job.yaml deploy/systemd/ingest.service \
    deploy/windows/ingest-task.xml
else
  missing "no ingest binary (cargo build) or no kustomize output: flags and secrets not checked"
fi

if [ "$failed" = 0 ]; then echo "deploy: all checks passed"; else echo "deploy: FAILED"; fi
exit "$failed"
