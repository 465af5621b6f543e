#!/usr/bin/env bash
# Benchmark: the size/speed trade-off of a destination's `compression`. Loads the benchmark
# orders table (scripts/bench-postgres.sh's) once per codec with `ingest run` (FULL, Parquet,
# chunk_size 100000, parallelism 1) into a local folder, and prints a markdown table: codec,
# wall seconds, peak RSS, MiB of Parquet files, and the size ratio to `none` (uncompressed
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
source "$(dirname "$0")/bench_common.sh"

ROWS="${1:-5000000}"
RUNS="${RUNS:-1}"
URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
TABLE="bench_orders"
read -r -a CODECS <<< "${CODECS:-none snappy lz4 zstd(1) zstd(3) zstd(9) gzip}"
[[ " ${CODECS[*]} " == *" none "* ]] || CODECS=(none "${CODECS[@]}")

bench_init
bench_need_time
bench_pg_orders_table "$URL" "$TABLE" "$ROWS"

# One destination (its own folder) and one job per codec.
{
  printf '[sources.pg]\ntype = "postgresql"\nurl = "%s"\n' "$URL"
  for i in "${!CODECS[@]}"; do
    printf '[destinations.c%s]\npath = "out_c%s"\ncompression = "%s"\n' "$i" "$i" "${CODECS[$i]}"
  done
} > "$WORK/secrets.toml"
rows=()
for i in "${!CODECS[@]}"; do
  rows+=("bench_c$i|postgresql|pg|$TABLE|FULL|Y|raw|bench|id|100000|1|c$i")
done
bench_workbook "$WORK/jobs.xlsx" \
  "job_id|source_type|source_name|table_name|load_type|enabled|target_container|target_folder_path|primary_key|chunk_size|parallelism|destination" \
  "${rows[@]}"
cd "$WORK"
# The codecs are checked before anything is timed (a typo is exit 2 naming the key).
"$BIN" validate --config jobs.xlsx --secrets secrets.toml > validate.log 2>&1 ||
  { cat validate.log >&2; exit 1; }

# Warm the table into the page cache once so every codec reads it the same way.
psql "$URL" -qAtc "SELECT count(*) FROM $TABLE" > /dev/null

for _ in $(seq 1 "$RUNS"); do
  for i in "${!CODECS[@]}"; do
    rm -rf "out_c$i" metadata logs
    bench_measure -o "c$i.json" "c$i" "$BIN" run --config jobs.xlsx --secrets secrets.toml \
      --jobs "bench_c$i" --output json
    bench_check_rows "c$i.json" "$ROWS"
    find "out_c$i" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }' >> "c$i.bytes"
    rm -rf "out_c$i"
  done
done

median_bytes() { sort -g "$WORK/$1.bytes" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for i in "${!CODECS[@]}"; do [ "${CODECS[$i]}" = none ] && base=$(median_bytes "c$i"); done
echo
echo "rows: $ROWS   runs: $RUNS (medians)   $(bench_machine)"
echo
echo "| codec | wall s | peak RSS MiB | Parquet MiB | size vs none |"
echo "|---|---|---|---|---|"
for i in "${!CODECS[@]}"; do
  awk -v c="${CODECS[$i]}" -v w="$(bench_median "c$i" 1)" -v k="$(bench_median "c$i" 2)" \
      -v b="$(median_bytes "c$i")" -v base="$base" \
    'BEGIN { printf "| %s | %.2f | %.0f | %.1f | %.2f |\n", c, w, k / 1024, b / 1048576, (base > 0 ? b / base : 0) }'
done
