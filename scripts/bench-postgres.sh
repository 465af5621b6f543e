#!/usr/bin/env bash
# Benchmark: PostgreSQL → Parquet with `ingest run` (parallelism 1 and 2) against
# `psql \copy (SELECT * FROM t) TO file WITH (FORMAT binary)` on the same table, same run.
# Each contender runs RUNS times, alternating; the markdown table holds the medians.
#
# Usage: scripts/bench-postgres.sh [ROWS]        (default 5000000)
# Env:   BENCH_PG_URL   (default postgres://postgres@127.0.0.1:5432/test)
#        INGEST_BIN     (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                        build it first with `cargo build --release`)
#        RUNS           (default 3)
# Needs: psql, python3 (standard library only, to write the workbook), GNU time at
#        /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"

ROWS="${1:-5000000}"
RUNS="${RUNS:-3}"
URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
TABLE="bench_orders"

bench_init
bench_need_time
bench_pg_orders_table "$URL" "$TABLE" "$ROWS"

header="job_id|source_type|source_name|table_name|load_type|enabled|target_container|target_folder_path|primary_key|chunk_size|parallelism|destination"
for par in 1 2; do
  bench_workbook "$WORK/p$par.xlsx" "$header" \
    "bench_p$par|postgresql|pg|$TABLE|FULL|Y|raw|bench|id|100000|$par|output"
done
cat > "$WORK/secrets.toml" <<TOML
[sources.pg]
type = "postgresql"
url = "$URL"
[destinations.output]
path = "out"
TOML

# Warm the table into the page cache once so every contender reads it the same way.
psql "$URL" -qAtc "SELECT count(*) FROM $TABLE" > /dev/null

cd "$WORK"
for _ in $(seq 1 "$RUNS"); do
  bench_measure psql psql "$URL" -qc "\\copy (SELECT * FROM $TABLE) TO '$WORK/psql.bin' WITH (FORMAT binary)"
  rm -f "$WORK/psql.bin"
  for par in 1 2; do
    bench_fresh
    bench_measure -o "ingest_p$par.json" "ingest_p$par" \
      "$BIN" run --config "p$par.xlsx" --secrets secrets.toml --output json
    bench_check_rows "ingest_p$par.json" "$ROWS"
  done
done

echo
echo "rows: $ROWS   runs: $RUNS (medians)   $(bench_machine)"
echo
bench_table psql "$ROWS" \
  'psql=`psql \copy … (FORMAT binary)` to a file' \
  'ingest_p1=`ingest run`, parallelism 1' \
  'ingest_p2=`ingest run`, parallelism 2'
