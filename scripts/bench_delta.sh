#!/usr/bin/env bash
# Benchmark: PostgreSQL → Delta Lake (target_format = delta, FULL) against the plain Parquet
# load (target_format = parquet) of the same table, in the same run, into a local folder.
# Each contender runs RUNS times (default 3), alternating, each into an empty folder; the
# markdown table holds the medians.
#
# Usage: scripts/bench_delta.sh [ROWS]          (default 5000000)
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
# The benchmark table of scripts/bench-postgres.sh (created when missing or of another size).
bench_pg_orders_table "$URL" "$TABLE" "$ROWS"
# Delta has no UUID type: both jobs read the same view, with the uuid as text.
bench_pg_orders_view "$URL" "$TABLE"

# One job per format.
rows=("job_id|source_type|source_name|table_name|load_type|enabled|target_container|target_folder_path|primary_key|chunk_size|parallelism|destination|target_format")
for fmt in parquet delta; do
  rows+=("bench_$fmt|postgresql|pg|${TABLE}_v|FULL|Y|raw|$fmt|id|100000|1|output|$fmt")
done
bench_workbook "$WORK/bench.xlsx" "${rows[@]}"
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
  for fmt in parquet delta; do
    bench_fresh
    bench_measure -o "$fmt.json" "$fmt" \
      "$BIN" run --config bench.xlsx --secrets secrets.toml --jobs "bench_$fmt" --output json
    bench_check_rows "$fmt.json" "$ROWS"
  done
done

echo
echo "rows: $ROWS   runs: $RUNS (medians)   $(bench_machine)"
echo
bench_table parquet "$ROWS" 'parquet=`target_format = parquet`' 'delta=`target_format = delta`'
