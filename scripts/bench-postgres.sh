#!/usr/bin/env bash
# Benchmark: PostgreSQL → Parquet with `ingest run` (parallelism 1 and 2) against
# `psql \copy (SELECT * FROM t) TO file WITH (FORMAT binary)` on the same table, same run.
#
# Usage: scripts/bench-postgres.sh [ROWS]        (default 5000000)
# Env:   BENCH_PG_URL   (default postgres://postgres@127.0.0.1:5432/test)
#        INGEST_BIN     (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                        build it first with `cargo build --release`)
# Needs: psql, python3 (standard library only, to write the workbook), GNU time at
#        /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
# The table, workbook and timing are scripts/bench_common.sh's.
set -euo pipefail
. "$(dirname "$0")/bench_common.sh"

ROWS="${1:-5000000}"
TABLE="bench_orders"

bench_orders_table "$TABLE" "$ROWS"

# Workbooks and secrets.
for par in 1 2; do
  printf '%s\n' \
    "job_id	source_type	source_name	table_name	load_type	enabled	target_container	target_folder_path	primary_key	chunk_size	parallelism	destination" \
    "bench_p$par	postgresql	pg	$TABLE	FULL	Y	raw	bench	id	100000	$par	output" |
    bench_workbook "$WORK/p$par.xlsx"
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

results=()
results+=("$(bench_measure psql psql "$URL" -qc "\\copy (SELECT * FROM $TABLE) TO '$WORK/psql.bin' WITH (FORMAT binary)")")
rm -f "$WORK/psql.bin"
for par in 1 2; do
  rm -rf "$WORK/out" "$WORK/metadata" "$WORK/logs"
  results+=("$(bench_measure "ingest_p$par" "$BIN" run --config "p$par.xlsx" --secrets secrets.toml)")
done

psql_wall=$(echo "${results[0]}" | awk '{print $2}')
echo
echo "rows: $ROWS   machine: $(bench_machine)"
printf "%-10s %10s %14s %14s %10s\n" contender wall_s rows_per_s peak_rss_MiB vs_psql
for r in "${results[@]}"; do
  set -- $r
  awk -v n="$1" -v w="$2" -v k="$3" -v rows="$ROWS" -v p="$psql_wall" \
    'BEGIN { printf "%-10s %10.2f %14.0f %14.1f %9.2fx\n", n, w, rows / w, k / 1024, w / p }'
done
