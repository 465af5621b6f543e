#!/usr/bin/env bash
# Benchmark: 12 INCREMENTAL PostgreSQL jobs into one Azurite lake, run by 1, 2 and 3 concurrent
# `ingest run` workers (each with its own --state-dir, as on separate machines). Prints jobs per
# minute and the time spent on leases (take, renew, check, release) as a share of job time.
#
# Usage: scripts/bench_workers.sh [ROWS_PER_TABLE]     (default 200000)
# Env:   BENCH_PG_URL  (default postgres://postgres@127.0.0.1:5432/test)
#        INGEST_BIN    (default: $CARGO_TARGET_DIR/release/ingest or target/release/ingest)
#        AZURITE_PORT  (default 10000; start it with scripts/azurite.sh start)
# Needs: psql, python3 (standard library only).
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"

ROWS="${1:-200000}"
URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
PORT="${AZURITE_PORT:-10000}"
JOBS=12
SCHEMA="bench_workers"

bench_init

echo "creating $JOBS tables of $ROWS rows in schema $SCHEMA ..."
{
  echo "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA;"
  for i in $(seq 1 $JOBS); do
    echo "CREATE TABLE $SCHEMA.t$i (id bigint PRIMARY KEY, updated_at timestamp NOT NULL,
          amount numeric(18,4) NOT NULL, note text);
          INSERT INTO $SCHEMA.t$i SELECT g, timestamp '2024-01-01' + g * interval '1 second',
          g / 100.0, 'note ' || g FROM generate_series(1, $ROWS) g;"
  done
} | psql "$URL" -qv ON_ERROR_STOP=1

cat > "$WORK/secrets.toml" <<TOML
[sources.pg]
type = "postgresql"
url = "$URL"

[destinations.lake]
use_emulator = true
storage_account_name = "devstoreaccount1"
endpoint = "http://127.0.0.1:$PORT"
create_container = true
TOML

# One workbook per round, each into a container of its own.
workbook() {
  local rows=("job_id|source_type|source_name|schema_name|table_name|load_type|enabled|target_container|target_folder_path|watermark_column|primary_key|destination")
  for i in $(seq 1 $JOBS); do
    rows+=("t$i|postgresql|pg|$SCHEMA|t$i|INCREMENTAL|Y|$1|bench|updated_at|id|lake")
  done
  bench_workbook "$WORK/jobs-$1.xlsx" "${rows[@]}"
}

printf '\n%-8s %10s %12s %14s %14s %10s\n' workers seconds jobs/min "job seconds" "lease seconds" "lease %"
for n in 1 2 3; do
  container="bench-workers-$n-$$"
  workbook "$container"
  start=$(date +%s.%N)
  pids=()
  for w in $(seq 1 "$n"); do
    (cd "$WORK" && "$BIN" run --config "jobs-$container.xlsx" --secrets secrets.toml \
        --state-dir "state-$n-$w" --log-dir "logs-$n-$w" --worker-id "w$w" \
        --parallelism 2 --output json > "out-$n-$w.json" 2> "err-$n-$w.txt") &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "a worker failed; see $WORK"; trap - EXIT; exit 1; }; done
  end=$(date +%s.%N)
  python3 - "$WORK" "$n" "$start" "$end" "$JOBS" <<'PY'
import glob, json, sys
work, n, start, end, jobs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
reports = [r for f in glob.glob(f"{work}/out-{n}-*.json") for r in json.load(open(f))]
ran = [r for r in reports if r["status"] == "SUCCESS"]
loaded = {r["job_id"] for r in ran if r["rows"] > 0}
assert len(loaded) == jobs, f"only {len(loaded)} of {jobs} jobs loaded rows"
job_s = sum(r["seconds"] for r in ran)
lease_s = sum(r.get("lease_seconds") or 0 for r in ran)
wall = end - start
print(f"{n:<8} {wall:10.1f} {jobs / wall * 60:12.1f} {job_s:14.1f} {lease_s:14.3f} {100 * lease_s / job_s:9.2f}%")
PY
done
psql "$URL" -qc "DROP SCHEMA $SCHEMA CASCADE"
