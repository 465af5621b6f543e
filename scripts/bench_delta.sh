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

ROWS="${1:-5000000}"
RUNS="${RUNS:-3}"
URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${INGEST_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/release/ingest}"
TABLE="bench_orders"

[ -x "$BIN" ] || { echo "ingest binary not found at $BIN (cargo build --release)"; exit 1; }
BIN="$(readlink -f "$BIN")"
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install time"; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The benchmark table of scripts/bench-postgres.sh (created when missing or of another size).
have=-1
if [ "$(psql "$URL" -Atqc "SELECT to_regclass('$TABLE') IS NOT NULL")" = "t" ]; then
  have=$(psql "$URL" -Atqc "SELECT count(*) FROM $TABLE")
fi
if [ "$have" != "$ROWS" ]; then
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
VACUUM ANALYZE $TABLE;
SQL
fi
# Delta has no UUID type: both jobs read the same view, with the uuid as text.
psql "$URL" -qc "CREATE OR REPLACE VIEW ${TABLE}_v AS SELECT id, customer_id, product_id, quantity,
  status, amount, discount, note, created_at, updated_at, order_date, paid,
  order_uuid::text AS order_uuid FROM $TABLE"

# Workbook (xlsx written with the Python standard library): one job per format.
python3 - "$WORK" "${TABLE}_v" <<'PY'
import sys, zipfile
from xml.sax.saxutils import escape
work, table = sys.argv[1], sys.argv[2]
header = ["job_id","source_type","source_name","table_name","load_type","enabled",
          "target_container","target_folder_path","primary_key","chunk_size","parallelism",
          "destination","target_format"]
rows = [header]
for fmt in ("parquet", "delta"):
    rows.append([f"bench_{fmt}", "postgresql", "pg", table, "FULL", "Y", "raw", fmt,
                 "id", 100000, 1, "output", fmt])
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
with zipfile.ZipFile(f"{work}/bench.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
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

# measure NAME CMD...: appends "wall_seconds peak_rss_kib" to $WORK/NAME.runs
measure() {
  local name="$1"; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.log" 2>&1 || {
    echo "$name failed:"; cat "$WORK/$name.log"; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$name.time" |
         awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time")
  echo "$wall $rss" >> "$WORK/$name.runs"
  echo "  $name run: ${wall}s, $((rss / 1024)) MiB"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Warm the table into the page cache once so every contender reads it the same way.
psql "$URL" -qAtc "SELECT count(*) FROM $TABLE" > /dev/null

cd "$WORK"
for i in $(seq 1 "$RUNS"); do
  for fmt in parquet delta; do
    rm -rf "$WORK/out" "$WORK/metadata" "$WORK/logs"
    measure "$fmt" "$BIN" run --config bench.xlsx --secrets secrets.toml --jobs "bench_$fmt"
  done
done

echo
echo "rows: $ROWS   runs: $RUNS   machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
pq_wall=$(awk '{print $1}' "$WORK/parquet.runs" | median)
printf "%-8s %14s %14s %18s %10s\n" format median_wall_s rows_per_s median_peak_MiB vs_parquet
for fmt in parquet delta; do
  wall=$(awk '{print $1}' "$WORK/$fmt.runs" | median)
  rss=$(awk '{print $2}' "$WORK/$fmt.runs" | median)
  awk -v n="$fmt" -v w="$wall" -v k="$rss" -v rows="$ROWS" -v p="$pq_wall" \
    'BEGIN { printf "%-8s %14.2f %14.0f %18.1f %9.2fx\n", n, w, rows / w, k / 1024, w / p }'
done
