#!/usr/bin/env bash
# Benchmark: a paged JSON API → Parquet with `ingest run`. A local HTTP server (Python standard
# library, pages rendered before the clock starts) serves RECORDS records in pages of PAGE with
# offset pagination; the script reports ingest's wall time, records/s and peak RSS.
#
# Usage: scripts/bench_api.sh [RECORDS] [PAGE]     (default 1000000 1000)
# Env:   INGEST_BIN   (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                      build it first with `cargo build --release`)
# Needs: python3 (standard library only), GNU time at /usr/bin/time (`apt-get install time`).
set -euo pipefail

RECORDS="${1:-1000000}"
PAGE="${2:-1000}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${INGEST_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/release/ingest}"

[ -x "$BIN" ] || { echo "ingest binary not found at $BIN (cargo build --release)"; exit 1; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install time"; exit 1; }

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The server: every page rendered once up front, then served from memory.
python3 - "$RECORDS" "$PAGE" "$WORK/port" > "$WORK/server.log" 2>&1 <<'PY' &
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs
records, page, port_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rec(i):
    return {"id": i, "customer": f"customer {i % 100000}", "status": ("new", "paid", "shipped")[i % 3],
            "amount": round(i * 0.37 % 10000, 2), "quantity": 1 + i % 20, "paid": i % 2 == 0,
            "updated_at": f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "address": {"city": f"city {i % 500}", "zip": f"{i % 100000:05d}"},
            "tags": ["a", f"t{i % 7}"]}
pages = [json.dumps({"data": [rec(i) for i in range(o, min(o + page, records))]}).encode()
         for o in range(0, records, page)]
empty = json.dumps({"data": []}).encode()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        n = int(q.get("offset", ["0"])[0]) // page
        body = pages[n] if n < len(pages) else empty
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
PY
SERVER_PID=$!
for _ in $(seq 1 600); do [ -s "$WORK/port" ] && break; sleep 0.5; done
[ -s "$WORK/port" ] || { echo "the server did not start:"; cat "$WORK/server.log"; exit 1; }
PORT="$(cat "$WORK/port")"

# Workbook (xlsx written with the Python standard library) and secrets.
python3 - "$WORK" <<'PY'
import sys, zipfile
from xml.sax.saxutils import escape
work = sys.argv[1]
rows = [["job_id", "source_type", "source_name", "load_type", "enabled", "target_container",
         "target_folder_path", "destination", "api_endpoint", "pagination_type"],
        ["bench_api", "API", "bench", "FULL", "Y", "raw", "bench", "output", "orders", "offset"]]
cells = "".join(
    f'<row r="{r}">' + "".join(
        f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for c, v in enumerate(row)) + "</row>"
    for r, row in enumerate(rows, 1))
ns = "http://schemas.openxmlformats.org"
parts = {
 "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
 "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
 "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="SourceConfig" sheetId="1" r:id="rId1"/></sheets></workbook>',
 "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
 "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>',
}
with zipfile.ZipFile(f"{work}/jobs.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)
PY
cat > "$WORK/secrets.toml" <<TOML
[sources.bench]
type = "api"
base_url = "http://127.0.0.1:$PORT"
page_size = $PAGE
records_path = "data"
[destinations.output]
path = "out"
TOML

cd "$WORK"
/usr/bin/time -v -o "$WORK/ingest.time" "$BIN" run --config jobs.xlsx --secrets secrets.toml \
  --output json > "$WORK/ingest.json" 2> "$WORK/ingest.log" || {
  echo "ingest failed:"; cat "$WORK/ingest.log" "$WORK/ingest.json"; exit 1; }
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/ingest.time" |
       awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/ingest.time")
rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["rows"])' "$WORK/ingest.json")
[ "$rows" = "$RECORDS" ] || { echo "loaded $rows records, expected $RECORDS"; cat "$WORK/ingest.json"; exit 1; }
bytes=$(du -sb "$WORK/out" | awk '{print $1}')
echo "records: $RECORDS in pages of $PAGE   machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)   binary: $BIN"
awk -v w="$wall" -v k="$rss" -v n="$RECORDS" -v b="$bytes" \
  'BEGIN { printf "wall %.2f s   %.0f records/s   peak RSS %.1f MiB   parquet %.1f MiB\n", w, n / w, k / 1024, b / 1048576 }'
