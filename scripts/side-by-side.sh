#!/usr/bin/env bash
# Runs npm scripts side by side and prints each one's output once it is done, in the order given; fails when any
# fails. For suites that leave room for each other on two cores (`npm test`: the fault and the scale suites keep
# about one core busy, mostly waiting out token lifetimes and failovers; the consumer apps wait on npm installs).
#   scripts/side-by-side.sh test:faults test:consumers
set -uo pipefail
cd "$(dirname "$0")/.."
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
pids=()
for script in "$@"; do
  npm run --silent "$script" >"$logs/$script.log" 2>&1 &
  pids+=($!)
done
status=0
for index in "${!pids[@]}"; do
  script="${@:$((index + 1)):1}"
  if wait "${pids[$index]}"; then result=passed; else result=FAILED; status=1; fi
  echo "----- npm run $script: $result"
  cat "$logs/$script.log"
done
exit "$status"
