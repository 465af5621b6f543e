#!/usr/bin/env bash
# Benchmark: the size/speed trade-off of a destination's `compression`. Loads the benchmark
# orders table (scripts/bench-postgres.sh's) once per codec with `ingest run` (FULL, Parquet,
# chunk_size 100000, parallelism 1) into a local folder, and prints a markdown table: codec,
# wall seconds, peak RSS, bytes of the Parquet files, and the ratio to `none` (uncompressed
# Parquet, always measured: it is the ratio's base). With RUNS > 1 the codecs alternate and the
# table shows medians.
#
# Usage: scripts/bench_compression.sh [ROWS]        (default 5000000)
# Env:   BENCH_PG_URL   (default postgres://postgres@127.0.0.1:5432/test)
#        INGEST_BIN     (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                        build it first with `cargo build --release`)
#        CODECS         (default "none snappy lz4 zstd(1) zstd(3) zstd(9) gzip")
#        RUNS           (default 1)
# Needs: psql, python3 (standard library only, to write the workbook), GNU time at
#        /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
set -euo pipefail
. "$(dirname "$0")/bench_common.sh"

ROWS="${1:-5000000}"
RUNS="${RUNS:-1}"
TABLE="bench_orders"
read -r -a CODECS <<< "${CODECS:-none snappy lz4 zstd(1) zstd(3) zstd(9) gzip}"
[[ " ${CODECS[*]} " == *" none "* ]] || CODECS=(none "${CODECS[@]}")
for i in "${!CODECS[@]}"; do [ "${CODECS[$i]}" = none ] && BASE="c$i"; done

bench_orders_table "$TABLE" "$ROWS"

# One destination (its own folder) and one job per codec.
{
  echo "[sources.pg]"
  echo "type = \"postgresql\""
  echo "url = \"$URL\""
  for i in "${!CODECS[@]}"; do
    printf '[destinations.c%s]\npath = "out_c%s"\ncompression = "%s"\n' "$i" "$i" "${CODECS[$i]}"
  done
} > "$WORK/secrets.toml"
{
  echo "job_id	source_type	source_name	table_name	load_type	enabled	target_container	target_folder_path	primary_key	chunk_size	parallelism	destination"
  for i in "${!CODECS[@]}"; do
    echo "bench_c$i	postgresql	pg	$TABLE	FULL	Y	raw	bench	id	100000	1	c$i"
  done
} | bench_workbook "$WORK/jobs.xlsx"
# The codecs are checked before anything is timed (a typo is exit 2 naming the key).
(cd "$WORK" && "$BIN" validate --config jobs.xlsx --secrets secrets.toml > "$WORK/validate.log" 2>&1) ||
  { cat "$WORK/validate.log" >&2; exit 1; }

# Warm the table into the page cache once so every codec reads it the same way.
psql "$URL" -qAtc "SELECT count(*) FROM $TABLE" > /dev/null

for run in $(seq 1 "$RUNS"); do
  for i in "${!CODECS[@]}"; do
    rm -rf "$WORK/out_c$i" "$WORK/metadata" "$WORK/logs"
    r=$(bench_measure "c$i" "$BIN" run --config jobs.xlsx --secrets secrets.toml --jobs "bench_c$i")
    set -- $r
    bytes=$(find "$WORK/out_c$i" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    echo "$2 $3 $bytes" >> "$WORK/c$i.runs"
    echo "  run $run ${CODECS[$i]}: ${2}s, $(($3 / 1024)) MiB, $bytes bytes" >&2
    rm -rf "$WORK/out_c$i"
  done
done

median_of() { awk -v k="$2" '{print $k}' "$WORK/$1.runs" | bench_median; }
base=$(median_of "$BASE" 3)
echo
echo "rows: $ROWS   runs: $RUNS   machine: $(bench_machine)"
echo
echo "| codec | wall s | peak RSS MiB | output bytes | ratio |"
echo "|---|---|---|---|---|"
for i in "${!CODECS[@]}"; do
  awk -v c="${CODECS[$i]}" -v w="$(median_of "c$i" 1)" -v k="$(median_of "c$i" 2)" \
      -v b="$(median_of "c$i" 3)" -v base="$base" \
    'BEGIN { printf "| %s | %.2f | %.0f | %.0f | %.2f× |\n", c, w, k / 1024, b, (b > 0 ? base / b : 0) }'
done
