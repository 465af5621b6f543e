# Shared parts of the benchmark scripts; source it, after `set -euo pipefail`:
#   . "$(dirname "$0")/bench_common.sh"
# It sets HERE (the project folder), URL (BENCH_PG_URL) and BIN (INGEST_BIN), checks that the
# binary and GNU time are there, and makes WORK, a scratch folder removed on exit.
#
# Functions:
#   bench_orders_table TABLE ROWS [fresh]  the orders-like benchmark table (bigint id, ints,
#                                          text, numeric(18,4), float8 and varchar with NULLs,
#                                          timestamp, timestamptz, date, bool, uuid), created
#                                          when missing, of another size, or always with `fresh`
#   bench_workbook FILE                    an xlsx with sheet SourceConfig from tab-separated
#                                          lines on stdin (header first; digits are numbers)
#   bench_measure NAME CMD...              run CMD in $WORK under /usr/bin/time -v; prints
#                                          "NAME wall_seconds peak_rss_kib" (output in
#                                          $WORK/NAME.log; exits with it on failure)
#   bench_median                           the median of numbers on stdin, one a line
#   bench_machine                          cores, memory and load average, for the report

URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${INGEST_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/release/ingest}"

if [ ! -x "$BIN" ]; then
  echo "ingest binary not found at $BIN: build it with \`cargo build --release\`" \
       "(or point INGEST_BIN at one)" >&2
  exit 1
fi
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
[ -x /usr/bin/time ] || { echo "GNU time missing at /usr/bin/time: apt-get install time" >&2; exit 1; }
command -v psql > /dev/null || { echo "psql missing" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

bench_orders_table() {
  local table="$1" rows="$2" fresh="${3:-}" have=-1
  if [ -z "$fresh" ] &&
     [ "$(psql "$URL" -Atqc "SELECT to_regclass('$table') IS NOT NULL")" = "t" ]; then
    have=$(psql "$URL" -Atqc "SELECT count(*) FROM $table")
  fi
  [ "$have" = "$rows" ] && return 0
  echo "creating $table with $rows rows ..."
  psql "$URL" -qv ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS $table CASCADE;
CREATE TABLE $table (
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
INSERT INTO $table
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
FROM generate_series(1::bigint, $rows) g;
VACUUM ANALYZE $table;
SQL
}

bench_workbook() {
  local rows
  rows="$(cat)"
  python3 - "$1" "$rows" <<'PY'
import re, sys, zipfile
from xml.sax.saxutils import escape
rows = [line.split("\t") for line in sys.argv[2].splitlines() if line.strip()]
out = []
for r, row in enumerate(rows, 1):
    cells = []
    for c, v in enumerate(row):
        ref = chr(65 + c) + str(r)
        if r > 1 and re.fullmatch(r"[0-9]+", v):
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
 "xl/worksheets/sheet1.xml": sheet,
}
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)
PY
}

bench_measure() {
  local name="$1"; shift
  (cd "$WORK" && /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.log" 2>&1) || {
    echo "$name failed:" >&2; cat "$WORK/$name.log" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$name.time" |
         awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time")
  echo "$name $wall $rss"
}

bench_median() {
  sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

bench_machine() {
  echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
}
