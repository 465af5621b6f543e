#!/usr/bin/env bash
# Benchmark: a paged JSON API → Parquet with `ingest run`. A local HTTP server (Python standard
# library, pages rendered before the clock starts) serves RECORDS records in pages of PAGE with
# offset pagination; `ingest run` loads them RUNS times and the script prints the medians of
# its wall time, records/s, peak RSS and CPU.
#
# Usage: scripts/bench_api.sh [RECORDS] [PAGE]     (default 1000000 1000)
# Env:   INGEST_BIN   (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                      build it first with `cargo build --release`)
#        RUNS         (default 3)
# Needs: python3 (standard library only), GNU time at /usr/bin/time (`apt-get install time`).
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"

RECORDS="${1:-1000000}"
PAGE="${2:-1000}"
RUNS="${RUNS:-3}"

bench_init
bench_need_time
SERVER_PID=""
bench_at_exit '[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null'

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

bench_workbook "$WORK/jobs.xlsx" \
  "job_id|source_type|source_name|load_type|enabled|target_container|target_folder_path|destination|api_endpoint|pagination_type" \
  "bench_api|API|bench|FULL|Y|raw|bench|output|orders|offset"
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
for _ in $(seq 1 "$RUNS"); do
  bench_fresh
  bench_measure -o ingest.json ingest "$BIN" run --config jobs.xlsx --secrets secrets.toml --output json
  bench_check_rows ingest.json "$RECORDS"
done

echo
echo "records: $RECORDS in pages of $PAGE   runs: $RUNS (medians)   $(bench_machine)"
echo "binary: $BIN   parquet: $(bench_size_mib "$WORK/out") MiB"
echo
bench_table ingest "$RECORDS" 'ingest=`ingest run`, paged JSON API (offset)'
