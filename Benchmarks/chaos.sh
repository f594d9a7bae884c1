#!/usr/bin/env bash
# Runs the chaos suite at a given size and prints its figures with the wall time.
# Usage: Benchmarks/chaos.sh [PAYOUTS] [FAULT_RATE] [RESTARTS]
set -euo pipefail
cd "$(dirname "$0")/.."
payouts=${1:-10000}
rate=${2:-0.2}
restarts=${3:-3}
swift build >/dev/null
# Run a copy, so that rebuilding the tree meanwhile cannot swap the binary the restarts start again.
bin=$(mktemp -d)/payout-gateway
cp .build/debug/payout-gateway "$bin"
start=$(date +%s)
"$bin" chaos --payouts "$payouts" --fault-rate "$rate" --restarts "$restarts" --settle-timeout 3600 | tee /tmp/payout-chaos-bench.log
end=$(date +%s)
elapsed=$((end - start))
echo "bench: payouts=$payouts fault_rate=$rate restarts=$restarts seconds=$elapsed payouts_per_second=$(python3 -c "print(round($payouts/$elapsed, 1))")"
