#!/usr/bin/env bash
# The README's pictures, made from real runs: docs/progress.png (the bars of `ingest run` in a
# terminal, captured mid-run with tmux) and docs/report.png (`ingest report` after a few runs).
#
# Usage: scripts/screenshots.sh
# Env:   SHOTS_PG_URL (default postgres://postgres@127.0.0.1:5432/test): a scratch database;
#                     the script creates and drops the schema `shots` in it.
#        INGEST_BIN   (default target/debug/ingest; `cargo build` first)
#        INGEST_TEST_PYTHON (default .venv/bin/python, made by scripts/pyenv.sh: openpyxl)
# Needs: psql, tmux, chromium, python3.
set -euo pipefail

URL="${SHOTS_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${INGEST_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/debug/ingest}"
for tool in psql tmux chromium python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing"; exit 1; }
done
[ -x "$BIN" ] || { echo "ingest binary not found at $BIN (cargo build)"; exit 1; }
PY="${INGEST_TEST_PYTHON:-$HERE/.venv/bin/python}"
[ -x "$PY" ] || { "$HERE/scripts/pyenv.sh"; PY="$HERE/.venv/bin/python"; }

WORK="$(mktemp -d)"
SOCK="ingest-shots-$$"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

echo "creating the schema shots ..."
psql "$URL" -qv ON_ERROR_STOP=1 <<'SQL'
DROP SCHEMA IF EXISTS shots CASCADE;
CREATE SCHEMA shots;
CREATE TABLE shots.orders_big (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), updated_at timestamp NOT NULL);
INSERT INTO shots.orders_big SELECT g, g % 5000, (g % 997) / 7.0, timestamp '2026-01-01' + g * interval '1 second' FROM generate_series(1, 4000000) g;
CREATE TABLE shots.order_lines (id bigint PRIMARY KEY, order_id bigint, sku text, qty int);
INSERT INTO shots.order_lines SELECT g, g / 3, 'SKU-' || (g % 900), g % 9 FROM generate_series(1, 2500000) g;
CREATE TABLE shots.customers (id int PRIMARY KEY, name text, country text);
INSERT INTO shots.customers SELECT g, 'customer ' || g, (ARRAY['DE','FR','NL','SE'])[g % 4 + 1] FROM generate_series(1, 300000) g;
CREATE TABLE shots.events (id bigint PRIMARY KEY, kind text, updated_at timestamp NOT NULL);
INSERT INTO shots.events SELECT g, 'click', now() - interval '3 hours' + g * interval '1 millisecond' FROM generate_series(1, 800000) g;
CREATE TABLE shots.products (id int PRIMARY KEY, title text);
INSERT INTO shots.products SELECT g, 'product ' || g FROM generate_series(1, 20000) g;
CREATE TABLE shots.legacy_prices (id int PRIMARY KEY, price numeric(10,2));
INSERT INTO shots.legacy_prices SELECT g, g FROM generate_series(1, 1000) g;
ANALYZE shots.orders_big, shots.order_lines, shots.customers, shots.events, shots.products, shots.legacy_prices;
SQL

cat > secrets.toml <<EOF
[sources.pg]
type = "postgresql"
url = "$URL"

[destinations.adls]
path = "lake"
EOF
"$BIN" discover --secrets secrets.toml --source pg --schema shots --out jobs.xlsx >/dev/null
# discover proposes rows with enabled = N, for review: enable them all.
"$PY" - <<'PY'
import openpyxl
wb = openpyxl.load_workbook("jobs.xlsx")
ws = wb["SourceConfig"]
col = [c.value for c in ws[1]].index("enabled") + 1
for row in range(2, ws.max_row + 1):
    ws.cell(row=row, column=col).value = "Y"
wb.save("jobs.xlsx")
PY

# 1. The bars, mid-run, in a 116-column terminal.
tmux -L "$SOCK" -f /dev/null new-session -d -x 116 -y 12 \
  "cd '$WORK' && '$BIN' run --config jobs.xlsx --parallelism 3; sleep 600"
shot=""
for _ in $(seq 1 3000); do
  screen="$(tmux -L "$SOCK" capture-pane -p -e)"
  plain="$(sed 's/\x1b\[[0-9;]*m//g' <<<"$screen")"
  # Two or more bars with an ETA.
  if [ "$(grep -c '%.*ETA [0-9]' <<<"$plain")" -ge 2 ]; then
    shot="$screen"
    break
  fi
  sleep 0.1
done
[ -n "$shot" ] || { echo "never saw two bars with an ETA"; exit 1; }
printf '%s\n' "$shot" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > progress.ansi
lines=$(wc -l < progress.ansi)
while tmux -L "$SOCK" capture-pane -p | grep -q 'jobs done'; do sleep 0.5; done
tmux -L "$SOCK" kill-server || true

python3 - progress.ansi progress.html <<'PY'
import html, re, sys
colors = {30: "#2e3436", 31: "#ef2929", 32: "#8ae234", 33: "#fce94f", 34: "#729fcf",
          35: "#ad7fa8", 36: "#34e2e2", 37: "#eeeeec"}
out, bold, dim, fg = [], False, False, None
for part in re.split(r"(\x1b\[[0-9;]*m)", open(sys.argv[1], encoding="utf-8").read().rstrip("\n")):
    m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
    if m:
        for c in [int(x) for x in (m.group(1) or "0").split(";") if x]:
            if c == 0: bold, dim, fg = False, False, None
            elif c == 1: bold = True
            elif c == 2: dim = True
            elif c == 22: bold = dim = False
            elif c == 39: fg = None
            elif c in colors: fg = colors[c]
        continue
    if part:
        style = (f"color:{fg};" if fg else "") + ("font-weight:bold;" if bold else "") + ("opacity:.45;" if dim else "")
        out.append(f'<span style="{style}">{html.escape(part)}</span>')
open(sys.argv[2], "w", encoding="utf-8").write(
    '<!DOCTYPE html><meta charset="utf-8"><body style="margin:0;background:#1e1e1e">'
    '<pre style="margin:0;padding:14px 18px;color:#d3d7cf;font:15px/1.35 \'DejaVu Sans Mono\',monospace">'
    + "".join(out) + "</pre>")
PY

CHROME=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        "--user-data-dir=$WORK/profile" --hide-scrollbars)
mkdir -p "$HERE/docs"
h=$((lines * 21 + 40)); [ "$h" -ge 160 ] || h=160   # headless Chromium draws one line in lower windows
"${CHROME[@]}" --window-size=1040,$h "--screenshot=$HERE/docs/progress.png" "file://$WORK/progress.html" 2>/dev/null

# 2. A few more nights: new events each time; legacy_prices disappears before the last run.
for night in 1 2 3 4; do
  psql "$URL" -qc "INSERT INTO shots.events SELECT g, 'view', now() - interval '90 minutes' + (g % 1000) * interval '1 millisecond' FROM generate_series((SELECT max(id) + 1 FROM shots.events), (SELECT max(id) + 40000 * $night FROM shots.events)) g;"
  [ "$night" = 4 ] && psql "$URL" -qc "DROP TABLE shots.legacy_prices;"
  "$BIN" run --config jobs.xlsx --parallelism 3 >/dev/null 2>&1 || true
done
"$BIN" report --days 30 --out report.html
"${CHROME[@]}" --window-size=1300,1500 "--screenshot=$HERE/docs/report.png" "file://$WORK/report.html" 2>/dev/null

psql "$URL" -qc "DROP SCHEMA shots CASCADE;"
echo "wrote docs/progress.png and docs/report.png"
