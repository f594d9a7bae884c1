#!/usr/bin/env bash
# The gateway's speed against baselines measured in the same run (issue 15's rows), on this machine's loopback.
#
#   Benchmarks/perf.sh            # release build, 20 s per run, 3 interleaved repetitions, a 5,000-payout burst
#   Benchmarks/perf.sh --small    # 3 s runs, 1 repetition, a 300-payout burst: proves the script works (CI)
#
# Needs wrk, nginx and sqlite3 (apt). Settings by environment: ROWS (any of "create read burst scale memory
# postgres"; default all, postgres only with POSTGRES_URL), SCALE (stored payouts for the scale row's two points;
# default "10000 1000000"), MEMORY_SECONDS (the memory row's mixed load; default 600), BIN (a built payout-gateway; default: build the
# release binary), DURATION, REPS, BURST, POSTGRES_URL (adds the two-instances-on-PostgreSQL row: each run creates a
# database of its own on that server with psql, and drops it at exit), KEEP=1 (keep the
# work directory). Baselines: the standalone sandbox's own create (direct integration) and nginx `proxy_pass` to
# the sandbox (reads). The gateway runs at log level warning. Figures are medians over REPS; ratios are
# gateway ÷ baseline of those medians. Each gateway run is interleaved with its baseline's and starts afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
small=0
[ "${1:-}" = "--small" ] && small=1
DURATION=${DURATION:-$([ $small = 1 ] && echo 3s || echo 20s)}
REPS=${REPS:-$([ $small = 1 ] && echo 1 || echo 3)}
BURST=${BURST:-$([ $small = 1 ] && echo 300 || echo 5000)}
STORED=${STORED:-$([ $small = 1 ] && echo 400 || echo 2000)}   # payouts stored before the read rows
SCALE=${SCALE:-$([ $small = 1 ] && echo "1000 5000" || echo "10000 1000000")}
MEMORY_SECONDS=${MEMORY_SECONDS:-$([ $small = 1 ] && echo 10 || echo 600)}
export PAYOUT_GATEWAY_LOG_LEVEL=warning
# The create rows measure the front: no backlog bound (a 20 s run creates more payouts than the default bound).
# The burst row measures the engine; backpressure itself is tested by BacklogTests.
export PAYOUT_GATEWAY_MAX_BACKLOG=${PAYOUT_GATEWAY_MAX_BACKLOG:-0}
# Nor the per-merchant rate limit (one merchant makes every request here).
export PAYOUT_GATEWAY_RATE_LIMIT=${PAYOUT_GATEWAY_RATE_LIMIT:-0}
for tool in wrk nginx sqlite3 curl python3; do
  command -v "$tool" >/dev/null || { echo "perf.sh needs $tool (apt-get install -y wrk nginx-light sqlite3 curl)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/pgw-perf.XXXXXX)
pids=()
pg_databases=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  for name in "${pg_databases[@]}"; do psql "$POSTGRES_URL" -qXc "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1 || true; done
  [ "${KEEP:-0}" = 1 ] && echo "work directory: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${BIN:-}" ]; then
  echo "building the release binary …" >&2
  swift build -c release --product payout-gateway >&2
  BIN=$root/.build/release/payout-gateway
fi
cp "$BIN" "$work/payout-gateway"
bin=$work/payout-gateway
lua=$root/Benchmarks/wrk/payouts.lua

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 1 600); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)
demo_auth=$(printf '%s' 'coma_DemoMerchant000001:demo_api_key_change_me' | base64 -w0)

# The standalone sandbox: sets sb_pid, sb_port, sb_auth (Basic for its JSON:API account) and its credentials.
start_sandbox() {
  sb_port=$(free_port)
  "$bin" sandbox --host 127.0.0.1 --port "$sb_port" --key-directory "$work/sandbox-keys" --log-level warning \
    >"$work/sandbox.out" 2>"$work/sandbox.err" &
  sb_pid=$!; pids+=("$sb_pid")
  wait_http "http://127.0.0.1:$sb_port/health"
  local line
  line=$(grep '^payelata (jsonapi)' "$work/sandbox.out")
  sb_account=$(sed -E 's/.*account_id=([^ ]+).*/\1/' <<<"$line")
  sb_key=$(sed -E 's/.*api_key=([^ ]+).*/\1/' <<<"$line")
  sb_callback_secret=$(sed -E 's/.*callback_secret=([^ ]+).*/\1/' <<<"$line")
  sb_auth=$(printf '%s:%s' "$sb_account" "$sb_key" | base64 -w0)
}

# nginx: proxy_pass to the sandbox (the read baseline) and a webhook sink answering 200 at /hook.
start_nginx() {
  ng_port=$(free_port)
  mkdir -p "$work/nginx"
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
daemon on;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream sandbox { server 127.0.0.1:$sb_port; keepalive 64; }
  server {
    listen 127.0.0.1:$ng_port;
    location = /hook { return 200 "ok"; }
    location / { proxy_pass http://sandbox; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
  nginx -c "$work/nginx.conf" -p "$work/nginx"
  wait_http "http://127.0.0.1:$ng_port/hook"
}
stop_nginx() { [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -f "$work/nginx.pid"; sleep 0.3; }

# A gateway. mode demo: the sandbox in-process (routes.json); mode external: providers are the standalone sandbox.
# Sets gw_pid, gw_port, gw_db.
start_gateway() {
  local mode=$1 database=${2:-}
  gw_port=$(free_port)
  gw_db=${REUSE_DB:-$work/gw-$gw_port.sqlite}
  local routes=$root/routes.json
  if [ "$mode" = external ]; then
    routes=$work/routes-external.json
    sed "s#@SB_PORT@#$sb_port#" "$root/Benchmarks/routes-external.json" >"$routes"
  fi
  PAYELATA_ACCOUNT_ID=$sb_account PAYELATA_API_KEY=$sb_key PAYELATA_CALLBACK_SECRET=$sb_callback_secret \
  PAYOUT_GATEWAY_WEBHOOK_HOSTS=127.0.0.1 \
    "$bin" serve --host 127.0.0.1 --port "$gw_port" --routes "$routes" --database "${database:-sqlite://$gw_db}" \
      --data-key-file "$work/data.key" >"$work/gw-$gw_port.log" 2>&1 &
  gw_pid=$!; pids+=("$gw_pid")
  wait_http "http://127.0.0.1:$gw_port/health" || { tail -20 "$work/gw-$gw_port.log" >&2; exit 1; }
  gw_auth=$demo_auth
  if [ "$mode" = external ]; then
    # No sandbox in-process, so no demo merchant: a merchant of its own, created in the same store.
    local credentials
    credentials=$("$bin" merchants add bench --json --database "${database:-sqlite://$gw_db}" --data-key-file "$work/data.key")
    gw_auth=$(python3 -c 'import json,sys,base64; c=json.loads(sys.argv[1]); print(base64.b64encode((c["account_id"]+":"+c["api_key"]).encode()).decode())' "$credentials")
  fi
}

# wrk_run LABEL CONNECTIONS URL -- ARGS…: appends "LABEL key=value…" to results.
wrk_run() {
  local label=$1 connections=$2 url=$3; shift 3
  local threads=2
  [ "$connections" -lt 2 ] && threads=1
  local line
  line=$(wrk -t"$threads" -c"$connections" -d"$DURATION" --timeout 10s -s "$lua" "$url" "$@" | grep '^RESULT' || true)
  [ -n "$line" ] || { echo "wrk gave no result for $label" >&2; exit 1; }
  echo "$label ${line#RESULT }" | tee -a "$work/results" >&2
}

# burst URL PATH AUTH PREFIX COUNT [CALLBACK]: COUNT creates at 64 connections; wrk is stopped (SIGINT: it still
# reports) once every thread has its share answered. Prints wrk's RESULT line.
burst() {
  local url=$1 path=$2 auth=$3 prefix=$4 count=$5 callback=${6:-}
  wrk -t2 -c64 -d900s -s "$lua" "$url" -- create "$path" "$auth" "$prefix" $(( count / 2 )) 0 "$callback" >"$prefix.wrk" &
  local pid=$!
  until [ "$(cat "$prefix"-*.ids 2>/dev/null | wc -l)" -ge $(( count / 2 * 2 )) ]; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" || true
  grep RESULT "$prefix.wrk" || true
}

non_final() { sqlite3 -readonly "$1" "SELECT count(*) FROM payouts WHERE next_action_at IS NOT NULL AND process_requested = 1" 2>/dev/null || echo 1; }
undelivered() { sqlite3 -readonly "$1" "SELECT count(*) FROM webhooks WHERE state = 'pending'" 2>/dev/null || echo 1; }
wait_drained() { # db seconds
  local limit=$(( $2 * 10 )) i=0
  while [ "$(non_final "$1")" != 0 ] || [ "$(undelivered "$1")" != 0 ]; do
    i=$((i + 1)); [ $i -gt $limit ] && { echo "not drained after $2 s" >&2; return 1; }
    sleep 0.1
  done
}

ROWS=${ROWS:-create read burst scale memory postgres}
wants() { [[ " $ROWS " == *" $1 "* ]]; }
echo "perf.sh: ROWS=\"$ROWS\" DURATION=$DURATION REPS=$REPS BURST=$BURST binary=$BIN" >&2
start_sandbox

# 1. Creates at 1, 16 and 64 connections, and a steady ~1,000 creates/s (16 connections, 16 ms apart).
wants create && for rep in $(seq 1 "$REPS"); do
  for c in 1 16 64; do
    start_gateway demo
    wrk_run "create-gateway-c$c" "$c" "http://127.0.0.1:$gw_port" -- create /api/payout-invoices "$demo_auth" "$work/g$rep$c"
    stop "$gw_pid"
    stop "$sb_pid"; start_sandbox
    wrk_run "create-sandbox-c$c" "$c" "http://127.0.0.1:$sb_port" -- create /payelata/api/payout-invoices "$sb_auth" "$work/s$rep$c"
  done
  start_gateway demo
  wrk_run "steady-gateway" 16 "http://127.0.0.1:$gw_port" -- create /api/payout-invoices "$demo_auth" "$work/gs$rep" 0 16
  stop "$gw_pid"
  stop "$sb_pid"; start_sandbox
  wrk_run "steady-sandbox" 16 "http://127.0.0.1:$sb_port" -- create /payelata/api/payout-invoices "$sb_auth" "$work/ss$rep" 0 16
done

# 2. Reads at 16 connections: the gateway from its store vs nginx proxy_pass to the sandbox; and the gateway's reads
#    beside 8 connections creating.
stop "$sb_pid"; start_sandbox; start_nginx
if wants read; then
start_gateway demo
burst "http://127.0.0.1:$gw_port" /api/payout-invoices "$demo_auth" "$work/rg" "$STORED" >&2
burst "http://127.0.0.1:$ng_port" /payelata/api/payout-invoices "$sb_auth" "$work/rs" "$STORED" >&2
wait_drained "$gw_db" 600
for rep in $(seq 1 "$REPS"); do
  wrk_run "read-id-gateway-c16" 16 "http://127.0.0.1:$gw_port" -- get /api/payout-invoices "$demo_auth" "$work/rg"
  wrk_run "read-id-nginx-c16" 16 "http://127.0.0.1:$ng_port" -- get /payelata/api/payout-invoices "$sb_auth" "$work/rs"
  wrk_run "read-ref-gateway-c16" 16 "http://127.0.0.1:$gw_port" -- get "/api/payout-invoices?filter[reference_id]=" "$demo_auth" "$work/rg"
  wrk_run "read-ref-nginx-c16" 16 "http://127.0.0.1:$ng_port" -- get "/payelata/api/payout-invoices?filter[reference_id]=" "$sb_auth" "$work/rs"
done
wrk -t1 -c8 -d"$DURATION" -s "$lua" "http://127.0.0.1:$gw_port" -- create /api/payout-invoices "$demo_auth" "$work/rw" >/dev/null &
writer=$!
sleep 0.5
wrk_run "read-id-beside-writes-c8" 8 "http://127.0.0.1:$gw_port" -- get /api/payout-invoices "$demo_auth" "$work/rg"
wait "$writer" || true
stop "$gw_pid"
fi

# 3. The engine: a burst of BURST creates (64 connections, each with a webhook to nginx) against the standalone
#    sandbox, then until every payout is final and every webhook delivered; gateway CPU per payout.
wants burst && for rep in $(seq 1 "$REPS"); do
  start_gateway external
  ticks0=$(cpu_ticks "$gw_pid")
  t0=$(date +%s.%N)
  burst "http://127.0.0.1:$gw_port" /api/payout-invoices "$gw_auth" "$work/b$rep" "$BURST" "http://127.0.0.1:$ng_port/hook" >&2
  t1=$(date +%s.%N)
  wait_drained "$gw_db" 1800
  t2=$(date +%s.%N)
  ticks1=$(cpu_ticks "$gw_pid")
  curl -fs "http://127.0.0.1:$gw_port/metrics" >"$work/metrics-burst$rep.txt" || true   # kept with KEEP=1
  created=$(sqlite3 -readonly "$gw_db" "SELECT count(*) FROM payouts")
  processed=$(sqlite3 -readonly "$gw_db" "SELECT count(*) FROM payouts WHERE status = 'processed'")
  python3 - "$created" "$processed" "$t0" "$t1" "$t2" "$ticks0" "$ticks1" "$ticks_per_second" <<'PY' | tee -a "$work/results" >&2
import sys
created, processed = int(sys.argv[1]), int(sys.argv[2])
t0, t1, t2 = map(float, sys.argv[3:6])
ticks = int(sys.argv[7]) - int(sys.argv[6])
hz = int(sys.argv[8])
print(f"burst payouts={created} processed={processed} send_s={t1 - t0:.2f} final_s={t2 - t0:.2f} "
      f"final_over_send={(t2 - t0) / (t1 - t0):.2f} finalised_per_s={created / (t2 - t0):.1f} "
      f"cpu_ms_per_payout={ticks * 1000 / hz / max(created, 1):.2f}")
PY
  stop "$gw_pid"
done
stop_nginx

# 4. Lookups as the store grows: GET by id and by reference at 16 connections with SCALE's first and then its second
#    count of payouts stored (filler payouts with their attempts and events, copied by seed_payouts.py while the
#    gateway is stopped); the measured ids are the same at both points.
if wants scale; then
  read -r small_count large_count <<<"$SCALE"
  start_gateway demo
  scale_db=$gw_db
  burst "http://127.0.0.1:$gw_port" /api/payout-invoices "$demo_auth" "$work/sc" "$STORED" >&2
  wait_drained "$scale_db" 600
  for point in small large; do
    count=$([ $point = small ] && echo "$small_count" || echo "$large_count")
    stop "$gw_pid"
    python3 "$root/Benchmarks/seed_payouts.py" "$scale_db" "$count"
    REUSE_DB=$scale_db start_gateway demo
    for rep in $(seq 1 "$REPS"); do
      wrk_run "scale-$point-id-c16 stored=$count" 16 "http://127.0.0.1:$gw_port" -- get /api/payout-invoices "$demo_auth" "$work/sc"
      wrk_run "scale-$point-ref-c16 stored=$count" 16 "http://127.0.0.1:$gw_port" -- get "/api/payout-invoices?filter[reference_id]=" "$demo_auth" "$work/sc"
    done
  done
  stop "$gw_pid"
fi

# 5. The gateway's resident memory through MEMORY_SECONDS of mixed load: ~100 creates/s (4 connections, 40 ms
#    apart), carried to final by the standalone sandbox (so that the simulator's memory is not counted), beside reads
#    at 8 connections. RSS sampled every 5 s into rss.txt; the row compares the first minute's last sample (or the
#    first sample of a short run) with the end.
if wants memory; then
  start_gateway external
  burst "http://127.0.0.1:$gw_port" /api/payout-invoices "$gw_auth" "$work/mm" 200 >&2
  wrk -t1 -c4 -d"${MEMORY_SECONDS}s" -s "$lua" "http://127.0.0.1:$gw_port" -- create /api/payout-invoices "$gw_auth" "$work/mw" 0 40 \
    >"$work/memory-writes" &
  mem_writer=$!
  wrk -t1 -c8 -d"${MEMORY_SECONDS}s" -s "$lua" "http://127.0.0.1:$gw_port" -- get /api/payout-invoices "$gw_auth" "$work/mm" \
    >"$work/memory-reads" &
  mem_reader=$!
  : >"$work/rss"
  while kill -0 "$mem_writer" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$gw_pid/status" >>"$work/rss"
    sleep 5
  done
  wait "$mem_writer" "$mem_reader" || true
  tr '\n' ' ' <"$work/rss" >&2; echo >&2
  python3 - "$work/rss" "$work/memory-writes" "$work/memory-reads" "$MEMORY_SECONDS" <<'PY' | tee -a "$work/results" >&2
import re, sys
rss = [int(x) / 1024 for x in open(sys.argv[1]).read().split()]
writes = float(re.search(r"ok_rps=([0-9.]+)", open(sys.argv[2]).read()).group(1))
reads = float(re.search(r"ok_rps=([0-9.]+)", open(sys.argv[3]).read()).group(1))
early = rss[min(11, len(rss) - 1)] if int(sys.argv[4]) >= 120 else rss[0]
print(f"memory seconds={sys.argv[4]} creates_per_s={writes:.1f} reads_per_s={reads:.1f} rss_early_mb={early:.1f} "
      f"rss_end_mb={rss[-1]:.1f} rss_max_mb={max(rss):.1f} end_over_early={rss[-1] / early:.2f}")
PY
  stop "$gw_pid"
fi

# 6. Two instances on one PostgreSQL database (optional): creates at 2 × 32 connections vs the sandbox at 64.
if [ -n "${POSTGRES_URL:-}" ] && wants postgres; then
  command -v psql >/dev/null || { echo "the postgres row needs psql (apt-get install -y postgresql-client)" >&2; exit 2; }
  for rep in $(seq 1 "$REPS"); do
    # A fresh database per run on POSTGRES_URL's server (its store is sealed with this run's data key), dropped at exit.
    pg_name="pgw_perf_$$_$rep"
    psql "$POSTGRES_URL" -qXc "CREATE DATABASE $pg_name" >&2
    pg_databases+=("$pg_name")
    pg_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$POSTGRES_URL" "$pg_name")
    start_gateway external "$pg_url"; first=$gw_pid; first_port=$gw_port; first_auth=$gw_auth
    # The second instance serves the first one's merchant (one store); its own merchant goes unused.
    start_gateway external "$pg_url"; second=$gw_pid
    wrk -t1 -c32 -d"$DURATION" -s "$lua" "http://127.0.0.1:$first_port" -- create /api/payout-invoices "$first_auth" "$work/p1$rep" \
      | grep RESULT >"$work/pg-first" &
    pg_first=$!
    wrk -t1 -c32 -d"$DURATION" -s "$lua" "http://127.0.0.1:$gw_port" -- create /api/payout-invoices "$first_auth" "$work/p2$rep" \
      | grep RESULT >"$work/pg-second"
    wait "$pg_first"
    python3 - "$work/pg-first" "$work/pg-second" <<'PY' | tee -a "$work/results" >&2
import re, sys
rps = sum(float(re.search(r"ok_rps=([0-9.]+)", open(p).read()).group(1)) for p in sys.argv[1:])
print(f"create-postgres2-c64 rps={rps:.1f} ok_rps={rps:.1f}")
PY
    stop "$first"; stop "$second"
    # The baseline in the same run, unless the create rows measured it.
    if ! wants create; then
      stop "$sb_pid"; start_sandbox
      wrk_run "create-sandbox-c64" 64 "http://127.0.0.1:$sb_port" -- create /payelata/api/payout-invoices "$sb_auth" "$work/sp$rep"
      stop "$sb_pid"; start_sandbox
    fi
  done
fi
stop "$sb_pid"

python3 "$root/Benchmarks/perf_report.py" "$work/results"
