# Shared parts of the benchmark scripts: `source "$(dirname "$0")/bench_common.sh"`.
# Not run by itself. Needs bash, python3 (standard library only) and, for bench_measure,
# GNU time at /usr/bin/time (Debian/Ubuntu: `apt-get install time`).
#
#   bench_init                     HERE (the repository), BIN (the ingest binary: INGEST_BIN, or
#                                  $CARGO_TARGET_DIR/release/ingest, or target/release/ingest;
#                                  made absolute) and WORK (a temporary folder removed at exit)
#   bench_at_exit CMD              run CMD at exit, before WORK is removed
#   bench_need_time                stop unless GNU time is at /usr/bin/time
#   bench_fresh                    remove what an `ingest run` in WORK left (out, metadata, logs)
#   bench_workbook FILE HEADER ROW...
#                                  write an .xlsx with a SourceConfig sheet; cells are separated
#                                  by `|`, cells of digits only are written as numbers
#   bench_pg_orders_table URL TABLE ROWS [fresh]
#                                  the PostgreSQL orders table (12 columns, below) with ROWS rows,
#                                  made when missing, of another size, or when `fresh` is given
#   bench_pg_orders_view URL TABLE TABLE_v: the same columns with the uuid as text (for Delta)
#   bench_mariadb_args URL         MARIADB_ARGS: `mariadb` client options for a mysql:// URL
#                                  (the password goes to MYSQL_PWD, never to the command line)
#   bench_mariadb_orders_table TABLE ROWS
#                                  the same table in MariaDB/MySQL (needs bench_mariadb_args)
#   bench_measure [-o FILE] LABEL CMD...
#                                  run CMD once under GNU time (stdout to FILE, else to the log);
#                                  appends "wall_s peak_rss_kib cpu_s" to WORK/LABEL.runs and
#                                  prints one progress line to stderr; stops the script on failure
#   bench_check_rows FILE ROWS     stop unless the JSON report of `ingest run --output json` in
#                                  FILE counts ROWS rows in all
#   bench_median LABEL FIELD       the median of a field of LABEL's runs (1 wall, 2 RSS, 3 CPU)
#   bench_size_mib PATH            the size of a file or folder, in MiB (one decimal)
#   bench_machine                  one line: cores, memory, load average
#   bench_table BASE ROWS LABEL=NAME...
#                                  a markdown table of the medians of each LABEL, named NAME:
#                                  tool | wall s | rows/s | × BASE | peak RSS MiB | client CPU s
#
# The orders table: id bigint (primary key), customer_id, product_id, quantity int, status text,
# amount decimal(18,4), discount double (a third NULL), note varchar(200) (a quarter NULL),
# created_at timestamp without zone, updated_at timestamp with zone, order_date date, paid bool,
# order_uuid uuid (in MariaDB/MySQL: md5-derived, made a valid version-4 UUID).

bench_init() {
  HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  BIN="${INGEST_BIN:-${CARGO_TARGET_DIR:-$HERE/target}/release/ingest}"
  [ -x "$BIN" ] || { echo "ingest binary not found at $BIN (cargo build --release)" >&2; exit 1; }
  BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
  WORK="$(mktemp -d)"
  BENCH_EXIT=()
  trap bench_exit EXIT
}

bench_at_exit() { BENCH_EXIT+=("$1"); }

bench_exit() {
  local cmd
  for cmd in "${BENCH_EXIT[@]}"; do eval "$cmd" || true; done
  rm -rf "$WORK"
}

bench_need_time() {
  [ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install time" >&2; exit 1; }
}

bench_fresh() { rm -rf "$WORK/out" "$WORK/metadata" "$WORK/logs"; }

bench_workbook() {
  python3 - "$@" <<'PY'
import re, sys, zipfile
from xml.sax.saxutils import escape
path, rows = sys.argv[1], [r.split("|") for r in sys.argv[2:]]
def col(c):
    name = ""
    while True:
        name = chr(65 + c % 26) + name
        c = c // 26 - 1
        if c < 0:
            return name
def cell(ref, v):
    if re.fullmatch(r"[0-9]+", v):
        return f'<c r="{ref}"><v>{v}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
data = "".join(
    f'<row r="{r}">' + "".join(cell(f"{col(c)}{r}", v) for c, v in enumerate(row)) + "</row>"
    for r, row in enumerate(rows, 1))
ns = "http://schemas.openxmlformats.org"
ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
parts = {
 "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/></Types>',
 "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
 "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="SourceConfig" sheetId="1" r:id="rId1"/></sheets></workbook>',
 "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
 "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>',
}
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)
PY
}

bench_pg_orders_table() {
  local url="$1" table="$2" rows="$3" fresh="${4:-}" have=-1
  if [ -z "$fresh" ] &&
     [ "$(psql "$url" -Atqc "SELECT to_regclass('$table') IS NOT NULL")" = "t" ]; then
    have=$(psql "$url" -Atqc "SELECT count(*) FROM $table")
  fi
  [ "$have" = "$rows" ] && return 0
  echo "creating $table with $rows rows ..." >&2
  psql "$url" -qv ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
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

bench_pg_orders_view() {
  psql "$1" -qv ON_ERROR_STOP=1 -c "CREATE OR REPLACE VIEW ${2}_v AS SELECT id, customer_id,
    product_id, quantity, status, amount, discount, note, created_at, updated_at, order_date,
    paid, order_uuid::text AS order_uuid FROM $2"
}

bench_mariadb_args() {
  local parts
  mapfile -t parts < <(python3 - "$1" <<'PY'
import sys
from urllib.parse import urlsplit, unquote
u = urlsplit(sys.argv[1])
if u.scheme not in ("mysql", "mariadb"):
    sys.exit(f"not a mysql:// URL: {u.scheme}://…")
print(u.hostname or "127.0.0.1"); print(u.port or 3306)
print(unquote(u.username or "root")); print(unquote(u.path.lstrip("/")) or "test")
print(unquote(u.password or ""))
PY
  ) || exit 1
  MARIADB_ARGS=(--host="${parts[0]}" --port="${parts[1]}" --user="${parts[2]}" "${parts[3]}")
  [ -z "${parts[4]:-}" ] || export MYSQL_PWD="${parts[4]}"
}

bench_mariadb_orders_table() {
  local table="$1" rows="$2" have uuid="char(36)" from to seq pre
  have=$(mariadb "${MARIADB_ARGS[@]}" -Nse "SELECT COUNT(*) FROM $table" 2>/dev/null) || have=-1
  [ "$have" = "$rows" ] && return 0
  echo "creating $table with $rows rows ..." >&2
  # MariaDB 10.7+ has a native UUID type; MySQL and older MariaDB get char(36).
  if mariadb "${MARIADB_ARGS[@]}" -Nse "SELECT CAST('00000000-0000-0000-0000-000000000000' AS UUID)" \
       >/dev/null 2>&1; then uuid="uuid"; fi
  mariadb "${MARIADB_ARGS[@]}" <<SQL
DROP TABLE IF EXISTS $table;
CREATE TABLE $table (
  id          bigint PRIMARY KEY,
  customer_id int NOT NULL,
  product_id  int NOT NULL,
  quantity    int NOT NULL,
  status      text NOT NULL,
  amount      decimal(18,4) NOT NULL,
  discount    double,
  note        varchar(200),
  created_at  datetime NOT NULL,
  updated_at  timestamp NOT NULL,
  order_date  date NOT NULL,
  paid        bool NOT NULL,
  order_uuid  $uuid NOT NULL
) ENGINE=InnoDB;
SQL
  # In slices of a million rows (one transaction each); the SEQUENCE engine (MariaDB) numbers
  # them, a recursive CTE where it is missing (MySQL).
  for ((from = 1; from <= rows; from += 1000000)); do
    to=$((from + 999999 < rows ? from + 999999 : rows))
    seq="seq_${from}_to_${to}" pre=""
    if ! mariadb "${MARIADB_ARGS[@]}" -Nse "SELECT 1 FROM $seq LIMIT 1" >/dev/null 2>&1; then
      seq="(WITH RECURSIVE s(seq) AS (SELECT $from UNION ALL SELECT seq + 1 FROM s
             WHERE seq < $to) SELECT seq FROM s) AS s"
      pre="SET SESSION max_recursive_iterations = 1000000;" # MariaDB
      mariadb "${MARIADB_ARGS[@]}" -Nse "SELECT @@cte_max_recursion_depth" >/dev/null 2>&1 &&
        pre="SET SESSION cte_max_recursion_depth = 1000000;" # MySQL
    fi
    mariadb "${MARIADB_ARGS[@]}" <<SQL
SET SESSION time_zone = '+00:00';
$pre
INSERT INTO $table
SELECT seq,
       (seq * 7919) % 100000,
       (seq * 104729) % 5000,
       1 + seq % 20,
       ELT(1 + seq % 5, 'new', 'paid', 'shipped', 'delivered', 'cancelled'),
       ((seq * 37) % 10000000) / 100 + 0.1234,
       IF(seq % 3 = 0, NULL, (seq % 1000) / 1000e0),
       IF(seq % 4 = 0, NULL, CONCAT('customer note number ', seq)),
       TIMESTAMP '2020-01-01 00:00:00' + INTERVAL seq SECOND,
       TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (seq * 2) SECOND,
       DATE '2020-01-01' + INTERVAL (seq DIV 5000) DAY,
       seq % 2 = 0,
       CONCAT(SUBSTR(MD5(seq), 1, 8), '-', SUBSTR(MD5(seq), 9, 4), '-4', SUBSTR(MD5(seq), 14, 3),
              '-', LOWER(HEX(8 | (CONV(SUBSTR(MD5(seq), 17, 1), 16, 10) & 3))),
              SUBSTR(MD5(seq), 18, 3), '-', SUBSTR(MD5(seq), 21, 12))
FROM $seq;
SQL
  done
  have=$(mariadb "${MARIADB_ARGS[@]}" -Nse "SELECT COUNT(*) FROM $table")
  [ "$have" = "$rows" ] || { echo "$table has $have rows, not $rows" >&2; exit 1; }
  mariadb "${MARIADB_ARGS[@]}" -e "ANALYZE TABLE $table" >/dev/null
}

bench_measure() {
  local out=""
  if [ "$1" = "-o" ]; then out="$2"; shift 2; fi
  local label="$1"; shift
  local log="$WORK/$label.log" time="$WORK/$label.time"
  if ! /usr/bin/time -v -o "$time" "$@" > "${out:-$log}" 2> "$log.err"; then
    echo "$label failed:" >&2
    cat "$log.err" >&2
    [ -n "$out" ] || cat "$log" >&2
    exit 1
  fi
  cat "$log.err" >> "$log"
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = (n == 3) ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2] }
    /Maximum resident set size/ { rss = $2 }
    /User time \(seconds\)/ { cpu += $2 }
    /System time \(seconds\)/ { cpu += $2 }
    END { printf "%s %s %.2f\n", wall, rss, cpu }' "$time" >> "$WORK/$label.runs"
  tail -n 1 "$WORK/$label.runs" |
    awk -v l="$label" '{ printf "  %s run: %.2f s, %.0f MiB, CPU %.2f s\n", l, $1, $2 / 1024, $3 }' >&2
}

bench_check_rows() {
  local got
  got=$(python3 -c 'import json, sys; print(sum(r["rows"] for r in json.load(open(sys.argv[1]))))' "$1") ||
    { echo "$1 is not ingest's JSON report" >&2; exit 1; }
  [ "$got" = "$2" ] || { echo "ingest loaded $got rows, expected $2 ($1)" >&2; exit 1; }
}

bench_median() {
  awk -v f="$2" '{ print $f }' "$WORK/$1.runs" | sort -g |
    awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

bench_size_mib() {
  du -sb "$1" | awk '{ printf "%.1f\n", $1 / 1048576 }'
}

bench_machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_table() {
  local base="$1" rows="$2" pair base_wall
  shift 2
  base_wall=$(bench_median "$base" 1)
  echo "| tool | wall s | rows/s | × $base | peak RSS MiB | client CPU s |"
  echo "|---|---|---|---|---|---|"
  for pair in "$@"; do
    local label="${pair%%=*}"
    BENCH_NAME="${pair#*=}" awk -v w="$(bench_median "$label" 1)" -v k="$(bench_median "$label" 2)" \
        -v c="$(bench_median "$label" 3)" -v rows="$rows" -v b="$base_wall" 'BEGIN {
      printf "| %s | %.2f | %.0f | %.2f | %.0f | %.2f |\n", ENVIRON["BENCH_NAME"], w,
        (w > 0 ? rows / w : 0), (b > 0 ? w / b : 0), k / 1024, c }'
  done
}
