#!/usr/bin/env bash
# Benchmark: MERGE of 1 % changed rows into a Delta table of the benchmark orders table.
# Builds `bench_merge` (the columns and rows of scripts/bench-postgres.sh's `bench_orders`),
# loads it as a Delta table with a `write_disposition = merge` job (the first load writes the
# table), updates 1 % of the rows (every 100th id: a new status and a newer `updated_at`), and
# times the second load, which merges them. Reports wall time and peak RSS of both runs, and
# checks the merged table with the Python deltalake reader when it is there.
#
# Usage: scripts/bench_delta_merge.sh [ROWS]        (default 5000000)
# Env:   BENCH_PG_URL   (default postgres://postgres@127.0.0.1:5432/test)
#        INGEST_BIN     (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest;
#                        build it first with `cargo build --release`)
#        INGEST_TEST_PYTHON (default .venv/bin/python; optional: the table check)
# Needs: psql, python3 (standard library only, to write the workbook), GNU time at
#        /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
set -euo pipefail
. "$(dirname "$0")/bench_common.sh"

ROWS="${1:-5000000}"
PY="${INGEST_TEST_PYTHON:-$HERE/.venv/bin/python}"
TABLE="bench_merge"

# A fresh table every run: the merge load changes it.
bench_orders_table "$TABLE" "$ROWS" fresh
# Delta has no UUID type: the uuid as text.
psql "$URL" -qc "ALTER TABLE $TABLE ALTER COLUMN order_uuid TYPE text; CREATE INDEX ON $TABLE (updated_at)"

# Workbook and secrets.
printf '%s\n' \
  "job_id	source_type	source_name	table_name	load_type	enabled	target_container	target_folder_path	watermark_column	primary_key	chunk_size	parallelism	destination	target_format	write_disposition" \
  "bench_merge	postgresql	pg	$TABLE	INCREMENTAL	Y	raw	bench	updated_at	id	100000	1	output	delta	merge" |
  bench_workbook "$WORK/jobs.xlsx"
cat > "$WORK/secrets.toml" <<TOML
[sources.pg]
type = "postgresql"
url = "$URL"
[destinations.output]
path = "out"
TOML

results=()
results+=("$(bench_measure first_load "$BIN" run --config jobs.xlsx --secrets secrets.toml)")
CHANGED=$(psql "$URL" -qAtc "WITH u AS (UPDATE $TABLE SET status = 'changed', updated_at = now()
  WHERE id % 100 = 0 RETURNING 1) SELECT count(*) FROM u")
results+=("$(bench_measure merge_1pct "$BIN" run --config jobs.xlsx --secrets secrets.toml)")
grep -h "merged" "$WORK/merge_1pct.log" | sed 's/^.*| INFO | //' || true

if [ -x "$PY" ] && "$PY" -c "import deltalake" 2>/dev/null; then
  "$PY" - "$WORK/out/raw/bench/pg_$TABLE" "$ROWS" "$CHANGED" <<'PY'
import sys
from deltalake import DeltaTable
import pyarrow.compute as pc
uri, rows, changed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = DeltaTable(uri).to_pyarrow_table(columns=["id", "status"])
got = pc.sum(pc.equal(t["status"], "changed")).as_py()
distinct = len(pc.unique(t["id"]))
assert t.num_rows == rows == distinct, (t.num_rows, rows, distinct)
assert got == changed, (got, changed)
print(f"check: {t.num_rows} rows, one per id, {got} changed rows merged")
PY
fi

echo
echo "rows: $ROWS   changed: $CHANGED   machine: $(bench_machine)"
printf "%-12s %10s %14s\n" run wall_s peak_rss_MiB
for r in "${results[@]}"; do
  set -- $r
  awk -v n="$1" -v w="$2" -v k="$3" 'BEGIN { printf "%-12s %10.2f %14.1f\n", n, w, k / 1024 }'
done
