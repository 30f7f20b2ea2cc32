#!/usr/bin/env bash
# The longer random run of the rotation simulation, for contributors: `npm run test:simulation:explore [schedules]`
# (10 000 by default), split over two Jest processes (one per core), each with a seed of its own taken from the
# clock. A failure prints its seed and shrunk schedule; replay it with
#   PAYMENTS_AUTH_SIMULATION_SEED=<seed> PAYMENTS_AUTH_SIMULATION_RUNS=<runs> npm run test:simulation
set -euo pipefail
cd "$(dirname "$0")/.."
schedules="${1:-10000}"
seed="$(date +%s)"
SECONDS=0
status=0
for part in 0 1; do
  PAYMENTS_AUTH_SIMULATION_RUNS=$((schedules / 2)) PAYMENTS_AUTH_SIMULATION_SEED=$((seed + part)) \
    bash scripts/jest.sh current -c jest.simulation.config.js > "/tmp/payments-auth-simulation-$part.log" 2>&1 &
  pids[$part]=$!
done
for part in 0 1; do
  wait "${pids[$part]}" || status=1
  grep -E 'SIMULATION-RESULT|Property failed|Counterexample|seed:' "/tmp/payments-auth-simulation-$part.log" || true
done
echo "$schedules schedules in ${SECONDS} s (seeds $seed and $((seed + 1)))"
[ "$status" -eq 0 ] || echo "failed: see /tmp/payments-auth-simulation-{0,1}.log" >&2
exit "$status"
