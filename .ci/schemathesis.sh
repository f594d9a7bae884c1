#!/usr/bin/env bash
# Fuzzes the merchant API with schemathesis against a running demo gateway, from the document it serves:
# every operation, positive and negative cases, at least 1,000 generated requests. Fails on any 5xx and on any
# answer that breaks the document (status codes, content types, headers, bodies), on a 405 without Allow, and
# on an operation that ignores its authentication.
#   .ci/schemathesis.sh BINARY
# Not checked: "schema-valid request rejected" and "schema-violating request accepted" — the document cannot
# express the gateway's business rules (configured services and their destination fields, routing limits, ISO
# currencies), so schema-valid bodies get 422 by design, and unknown query parameters are ignored as the dialect
# does.
# One worker: hypothesis (under schemathesis) describes its filters by parsing source with `ast`, which is not
# thread-safe on Python 3.11 and once crashed a two-worker run ("AST constructor recursion depth mismatch").
set -euo pipefail
bin=${1:?binary}
work=$(mktemp -d /tmp/pgw-schemathesis.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PAYOUT_GATEWAY_RATE_LIMIT=0 PAYOUT_GATEWAY_LOG_LEVEL=warning \
  "$bin" serve --port "$port" --database sqlite::memory: --routes routes.json >"$work/gateway.log" 2>&1 &
gw=$!
trap 'kill $gw 2>/dev/null || true; wait $gw 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/ready" && break; sleep 0.1; done
status=0
schemathesis run "http://127.0.0.1:$port/openapi.json" \
  --auth coma_DemoMerchant000001:demo_api_key_change_me \
  --header "X-Public-Key: pk_test_DemoMerchantPublicKey000000000000000001" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method,ignored_auth \
  --max-examples 60 --workers 1 --seed 20261201 --request-timeout 20 \
  --report ndjson --report-dir "$work/report" --warnings off >"$work/run.txt" 2>&1 || status=$?
tail -80 "$work/run.txt"
generated=$(grep -oE '[0-9]+ generated' "$work/run.txt" | tail -1 | cut -d' ' -f1)
echo "schemathesis: ${generated:-0} test cases generated, exit $status"
[ "${generated:-0}" -ge 1000 ] || { echo "fewer than 1,000 generated requests" >&2; status=1; }
exit $status
