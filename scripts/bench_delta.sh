#!/usr/bin/env bash
# Benchmark: PostgreSQL → Delta Lake (target_format = delta, FULL) against the plain Parquet
# load (target_format = parquet) of the same table, in the same run, into a local folder.
# Each contender runs RUNS times (default 3), alternating, each into an empty folder; the
# table reports the median wall time and the median peak RSS.
#
# Usage: scripts/bench_delta.sh [ROWS]          (default 5000000)
# Env:   BENCH_PG_URL   (default postgres://postgres@127.0.0.1:5432/test)
#        INGEST_BIN     (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                        build it first with `cargo build --release`)
#        RUNS           (default 3)
# Needs: psql, python3 (standard library only, to write the workbook), GNU time at
#        /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
set -euo pipefail
. "$(dirname "$0")/bench_common.sh"

ROWS="${1:-5000000}"
RUNS="${RUNS:-3}"
TABLE="bench_orders"

# The benchmark table of scripts/bench-postgres.sh (created when missing or of another size).
bench_orders_table "$TABLE" "$ROWS"
# Delta has no UUID type: both jobs read the same view, with the uuid as text.
psql "$URL" -qc "CREATE OR REPLACE VIEW ${TABLE}_v AS SELECT id, customer_id, product_id, quantity,
  status, amount, discount, note, created_at, updated_at, order_date, paid,
  order_uuid::text AS order_uuid FROM $TABLE"

# Workbook: one job per format.
{
  echo "job_id	source_type	source_name	table_name	load_type	enabled	target_container	target_folder_path	primary_key	chunk_size	parallelism	destination	target_format"
  for fmt in parquet delta; do
    echo "bench_$fmt	postgresql	pg	${TABLE}_v	FULL	Y	raw	$fmt	id	100000	1	output	$fmt"
  done
} | bench_workbook "$WORK/bench.xlsx"
cat > "$WORK/secrets.toml" <<TOML
[sources.pg]
type = "postgresql"
url = "$URL"
[destinations.output]
path = "out"
TOML

# measure NAME CMD...: appends "wall_seconds peak_rss_kib" to $WORK/NAME.runs
measure() {
  local r
  r=$(bench_measure "$@")
  set -- $r
  echo "$2 $3" >> "$WORK/$1.runs"
  echo "  $1 run: ${2}s, $(($3 / 1024)) MiB"
}

# Warm the table into the page cache once so every contender reads it the same way.
psql "$URL" -qAtc "SELECT count(*) FROM $TABLE" > /dev/null

for i in $(seq 1 "$RUNS"); do
  for fmt in parquet delta; do
    rm -rf "$WORK/out" "$WORK/metadata" "$WORK/logs"
    measure "$fmt" "$BIN" run --config bench.xlsx --secrets secrets.toml --jobs "bench_$fmt"
  done
done

echo
echo "rows: $ROWS   runs: $RUNS   machine: $(bench_machine)"
pq_wall=$(awk '{print $1}' "$WORK/parquet.runs" | bench_median)
printf "%-8s %14s %14s %18s %10s\n" format median_wall_s rows_per_s median_peak_MiB vs_parquet
for fmt in parquet delta; do
  wall=$(awk '{print $1}' "$WORK/$fmt.runs" | bench_median)
  rss=$(awk '{print $2}' "$WORK/$fmt.runs" | bench_median)
  awk -v n="$fmt" -v w="$wall" -v k="$rss" -v rows="$ROWS" -v p="$pq_wall" \
    'BEGIN { printf "%-8s %14.2f %14.0f %18.1f %9.2fx\n", n, w, rows / w, k / 1024, w / p }'
done
