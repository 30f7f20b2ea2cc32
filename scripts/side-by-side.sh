#!/usr/bin/env bash
# Runs lanes of npm scripts side by side and prints each lane's output once it is done, in the order given; fails
# when any fails. A lane is one script, or several joined by commas, run one after another (a lane stops at its
# first failure). For suites that leave room for each other on two cores (`npm test`: the fault and the scale
# suites keep about one core busy, mostly waiting out token lifetimes and failovers; the consumer apps wait on npm
# installs).
#   scripts/side-by-side.sh test:faults test:consumers,test:nest11
set -uo pipefail
cd "$(dirname "$0")/.."
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
run_lane() {
  local script
  for script in ${1//,/ }; do
    echo "----- npm run $script"
    npm run --silent "$script" || { echo "----- npm run $script: FAILED"; return 1; }
  done
}
pids=()
for lane in "$@"; do
  run_lane "$lane" >"$logs/$lane.log" 2>&1 &
  pids+=($!)
done
status=0
for index in "${!pids[@]}"; do
  lane="${@:$((index + 1)):1}"
  if wait "${pids[$index]}"; then result=passed; else result=FAILED; status=1; fi
  echo "===== ${lane//,/, then }: $result"
  cat "$logs/$lane.log"
done
exit "$status"
