#!/usr/bin/env bash
# Benchmark: MariaDB/MySQL → Parquet with `ingest run` (parallelism 1 and 2) against
# `mariadb --batch --quick -e "SELECT * FROM t" > file` and ConnectorX (+ pyarrow, Parquet with
# snappy) on the same 12-column orders table, in the same run. Each contender runs RUNS times,
# alternating; the markdown table holds the medians.
#
# Usage: scripts/bench-mariadb.sh [ROWS]        (default 5000000)
# Env:   BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/test)
#        INGEST_BIN      (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                         build it first with `cargo build --release`)
#        RUNS            (default 3)
#        BENCH_VENV      (default target/bench-venv: a virtualenv made on first use, with pip's
#                         connectorx and pyarrow; BENCH_CONNECTORX=0 leaves ConnectorX out)
#        BENCH_PERF=1    after the timed runs, profile one more parallelism-1 run with `perf
#                        record` (client side only) and print where its CPU went, by part
#                        (driver, decoding, Arrow, Parquet, compression, allocator, TLS, runtime);
#                        the full report is kept as target/bench-mariadb-perf.txt
# Needs: the `mariadb` client (Debian: mariadb-client), python3 with venv and pip (to reach
#        PyPI once), GNU time at /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"

ROWS="${1:-5000000}"
RUNS="${RUNS:-3}"
URL="${BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
TABLE="bench_orders"
CONNECTORX="${BENCH_CONNECTORX:-1}"

bench_init
bench_need_time
command -v mariadb > /dev/null || { echo "the mariadb client is missing (apt-get install mariadb-client)" >&2; exit 1; }
VENV="${BENCH_VENV:-$HERE/target/bench-venv}"
if [ "$CONNECTORX" = 1 ] && ! "$VENV/bin/python" -c "import connectorx, pyarrow" 2>/dev/null; then
  echo "making $VENV with connectorx and pyarrow ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet connectorx pyarrow
fi

bench_mariadb_args "$URL"
bench_mariadb_orders_table "$TABLE" "$ROWS"

header="job_id|source_type|source_name|table_name|load_type|enabled|target_container|target_folder_path|primary_key|chunk_size|parallelism|destination"
for par in 1 2; do
  bench_workbook "$WORK/p$par.xlsx" "$header" \
    "bench_p$par|mysql|my|$TABLE|FULL|Y|raw|bench|id|100000|$par|output"
done
cat > "$WORK/secrets.toml" <<TOML
[sources.my]
type = "mysql"
url = "$URL"
[destinations.output]
path = "out"
TOML
cat > "$WORK/read_cx.py" <<'PY'
import sys
import connectorx as cx
import pyarrow.parquet as pq
url, table, out = sys.argv[1:4]
t = cx.read_sql(url, f"SELECT * FROM {table}", return_type="arrow")
pq.write_table(t, out, compression="snappy")
print(t.num_rows)
PY

# Warm the table into the buffer pool once so every contender reads it the same way.
mariadb "${MARIADB_ARGS[@]}" -Nse "SELECT COUNT(*) FROM $TABLE" > /dev/null

cd "$WORK"
contenders=('mariadb-client=`mariadb --batch --quick` to a file')
for _ in $(seq 1 "$RUNS"); do
  bench_measure -o "$WORK/client.tsv" mariadb-client \
    mariadb "${MARIADB_ARGS[@]}" --batch --quick -e "SELECT * FROM $TABLE"
  got=$(($(wc -l < "$WORK/client.tsv") - 1))
  [ "$got" = "$ROWS" ] || { echo "mariadb wrote $got rows, expected $ROWS" >&2; exit 1; }
  rm -f "$WORK/client.tsv"
  for par in 1 2; do
    bench_fresh
    bench_measure -o "ingest_p$par.json" "ingest_p$par" \
      "$BIN" run --config "p$par.xlsx" --secrets secrets.toml --output json
    bench_check_rows "ingest_p$par.json" "$ROWS"
  done
  if [ "$CONNECTORX" = 1 ]; then
    bench_measure -o "$WORK/cx.rows" connectorx \
      "$VENV/bin/python" read_cx.py "$URL" "$TABLE" "$WORK/cx.parquet"
    [ "$(cat "$WORK/cx.rows")" = "$ROWS" ] || { echo "ConnectorX read $(cat "$WORK/cx.rows") rows" >&2; exit 1; }
    rm -f "$WORK/cx.parquet"
  fi
done
contenders+=('ingest_p1=`ingest run`, parallelism 1' 'ingest_p2=`ingest run`, parallelism 2')
if [ "$CONNECTORX" = 1 ]; then
  cx_version=$("$VENV/bin/python" -c "import connectorx; print(connectorx.__version__)")
  contenders+=("connectorx=ConnectorX $cx_version + pyarrow (snappy)")
fi

if [ "${BENCH_PERF:-0}" = 1 ]; then
  command -v perf > /dev/null || { echo "perf is missing (Debian: linux-perf)" >&2; exit 1; }
  bench_fresh
  perf record -q -F 999 -o "$WORK/perf.data" -- \
    "$BIN" run --config p1.xlsx --secrets secrets.toml > "$WORK/perf.log" 2>&1
  perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio 2> /dev/null \
    > "$HERE/target/bench-mariadb-perf.txt"
  echo
  echo "where ingest's CPU went (parallelism 1, perf samples by part; full report: target/bench-mariadb-perf.txt)"
  awk '/^ *[0-9.]+%/ {
      share = $1 + 0; sym = $0
      if (sym ~ /sqlx/) part = "driver (sqlx: packets, row objects, streams)"
      else if (sym ~ /ingest::source/) part = "decoding into Arrow builders (ingest::source)"
      else if (sym ~ /arrow/) part = "Arrow arrays and buffers"
      else if (sym ~ /zstd|ZSTD|snap/) part = "compression"
      else if (sym ~ /parquet/) part = "Parquet encoding"
      else if (sym ~ /ahash|hashbrown/) part = "hashing (Parquet dictionaries)"
      else if (sym ~ /malloc|free|realloc|_int_|cfree|mem(cpy|move|set)/) part = "allocator and memcpy (libc)"
      else if (sym ~ /rustls|aws_lc|ring::/) part = "TLS"
      else if (sym ~ /tokio|mio|futures|epoll/) part = "async runtime"
      else if (sym ~ /\[k\]/) part = "kernel (socket reads, page faults)"
      else part = "other (generic code not inlined, start-up)"
      sum[part] += share
    }
    END { for (p in sum) printf "| %s | %.1f %% |\n", p, sum[p] }' "$HERE/target/bench-mariadb-perf.txt" |
    sort -t'|' -k3 -rn | { echo "| part | share of samples |"; echo "|---|---|"; cat; }
fi

echo
echo "rows: $ROWS   runs: $RUNS (medians)   server: $(mariadb "${MARIADB_ARGS[@]}" -Nse "SELECT VERSION()")   $(bench_machine)"
echo
bench_table mariadb-client "$ROWS" "${contenders[@]}"
