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

ROWS="${1:-5000000}"
URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${INGEST_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/release/ingest}"
PY="${INGEST_TEST_PYTHON:-$HERE/.venv/bin/python}"
TABLE="bench_merge"

[ -x "$BIN" ] || { echo "ingest binary not found at $BIN (cargo build --release)"; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install time"; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# A fresh table every run: the merge load changes it.
echo "creating $TABLE with $ROWS rows ..."
psql "$URL" -qv ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS $TABLE;
CREATE TABLE $TABLE (
  id          bigint PRIMARY KEY,
  customer_id int NOT NULL,
  product_id  int NOT NULL,
  quantity    int NOT NULL,
  status      text NOT NULL,
  amount      numeric(18,4) NOT NULL,
  discount    float8,
  note        varchar(200),
  created_at  timestamp NOT NULL,
  updated_at  timestamptz NOT NULL,
  order_date  date NOT NULL,
  paid        bool NOT NULL,
  order_uuid  uuid NOT NULL
);
INSERT INTO $TABLE
SELECT g,
       ((g * 7919) % 100000)::int,
       ((g * 104729) % 5000)::int,
       (1 + g % 20)::int,
       (ARRAY['new','paid','shipped','delivered','cancelled'])[1 + g % 5],
       ((g * 37) % 10000000) / 100.0 + 0.1234,
       CASE WHEN g % 3 = 0 THEN NULL ELSE (g % 1000) / 1000.0 END,
       CASE WHEN g % 4 = 0 THEN NULL ELSE 'customer note number ' || g END,
       timestamp '2020-01-01' + (g || ' seconds')::interval,
       timestamptz '2020-01-01 00:00:00+00' + (g * 2 || ' seconds')::interval,
       date '2020-01-01' + (g / 5000)::int,
       g % 2 = 0,
       md5(g::text)::uuid
FROM generate_series(1::bigint, $ROWS) g;
CREATE INDEX ON $TABLE (updated_at);
VACUUM ANALYZE $TABLE;
SQL

# Workbook (xlsx written with the Python standard library) and secrets.
python3 - "$WORK" "$TABLE" <<'PY'
import sys, zipfile
from xml.sax.saxutils import escape
work, table = sys.argv[1], sys.argv[2]
rows = [
    ["job_id", "source_type", "source_name", "table_name", "load_type", "enabled",
     "target_container", "target_folder_path", "watermark_column", "primary_key",
     "chunk_size", "parallelism", "destination", "target_format", "write_disposition"],
    ["bench_merge", "postgresql", "pg", table, "INCREMENTAL", "Y", "raw", "bench",
     "updated_at", "id", 100000, 1, "output", "delta", "merge"],
]
out = []
for r, row in enumerate(rows, 1):
    cells = []
    for c, v in enumerate(row):
        ref = chr(65 + c) + str(r)
        if isinstance(v, int):
            cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
    out.append(f'<row r="{r}">{"".join(cells)}</row>')
sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         f'<sheetData>{"".join(out)}</sheetData></worksheet>')
parts = {
 "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
 "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
 "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="SourceConfig" sheetId="1" r:id="rId1"/></sheets></workbook>',
 "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
with zipfile.ZipFile(f"{work}/jobs.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)
    z.writestr("xl/worksheets/sheet1.xml", sheet)
PY
cat > "$WORK/secrets.toml" <<TOML
[sources.pg]
type = "postgresql"
url = "$URL"
[destinations.output]
path = "out"
TOML

# measure NAME CMD...: prints "NAME wall_seconds peak_rss_kib"
measure() {
  local name="$1"; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.log" 2>&1 || {
    echo "$name failed:"; cat "$WORK/$name.log"; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$name.time" |
         awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time")
  echo "$name $wall $rss"
}

cd "$WORK"
results=()
results+=("$(measure first_load "$BIN" run --config jobs.xlsx --secrets secrets.toml)")
CHANGED=$(psql "$URL" -qAtc "WITH u AS (UPDATE $TABLE SET status = 'changed', updated_at = now()
  WHERE id % 100 = 0 RETURNING 1) SELECT count(*) FROM u")
results+=("$(measure merge_1pct "$BIN" run --config jobs.xlsx --secrets secrets.toml)")
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
echo "rows: $ROWS   changed: $CHANGED   machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
printf "%-12s %10s %14s\n" run wall_s peak_rss_MiB
for r in "${results[@]}"; do
  set -- $r
  awk -v n="$1" -v w="$2" -v k="$3" 'BEGIN { printf "%-12s %10.2f %14.1f\n", n, w, k / 1024 }'
done
