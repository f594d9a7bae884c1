#!/usr/bin/env bash
# Payout creations and finalisations per second, release build, on SQLite, one instance on PostgreSQL and two
# instances on PostgreSQL: the chaos run without faults or kills (sandboxes of both dialects, a webhook receiver).
# Usage: Benchmarks/store.sh [PAYOUTS]   (starts a throw-away PostgreSQL cluster with .ci/postgres.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
payouts=${1:-2000}
swift build -c release >/dev/null
bin=$(mktemp -d)/payout-gateway
cp .build/release/payout-gateway "$bin"
read -r pg_url pg_dir < <(.ci/postgres.sh 55433)
trap '.ci/postgres.sh stop "$pg_dir"' EXIT
run() {
  local label=$1; shift
  local out
  out=$("$bin" chaos --payouts "$payouts" --fault-rate 0 --restarts 0 --settle-timeout 1800 "$@" | grep -E '^chaos: (rates|payouts)')
  echo "$out" | sed "s/^/$label: /"
}
run "sqlite x1"
for n in 1 2; do
  db="bench$n"
  psql "$pg_url" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  run "postgres x$n" --instances "$n" --database "${pg_url/\/postgres\?//$db?}"
done
