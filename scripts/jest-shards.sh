#!/usr/bin/env bash
# Runs a Jest suite as N shards side by side (Jest's --shard), each its own scripts/jest.sh process, and prints each
# shard's output once it is done. The suites spend most of their time waiting on timers, servers and child
# processes, and --detectOpenHandles (which every shard keeps, to catch a server a test leaves open) runs a
# process's files one at a time: shards are how they share the machine. Fails when any shard fails.
#   scripts/jest-shards.sh 3 20.19.0 --detectOpenHandles
#   scripts/jest-shards.sh 2 24.21.0 --nest11 --detectOpenHandles
set -uo pipefail
cd "$(dirname "$0")/.."
shards="${1:?usage: jest-shards.sh <shards> <node version> [--nest11] [jest arguments]}"
version="${2:?usage: jest-shards.sh <shards> <node version> [--nest11] [jest arguments]}"
shift 2
# The Node release is fetched once here, before the shards would race to fetch it.
[ "$version" = current ] || bash scripts/node-bin.sh "$version" >/dev/null || true
nest=()
if [ "${1:-}" = "--nest11" ]; then
  nest=(--nest11)
  shift
  # Installs the NestJS 11 overlay once, before the shards would race to install it.
  bash scripts/jest.sh "$version" --nest11 --listTests >/dev/null
fi
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
pids=()
for shard in $(seq 1 "$shards"); do
  bash scripts/jest.sh "$version" "${nest[@]}" --shard="$shard/$shards" "$@" >"$logs/$shard.log" 2>&1 &
  pids+=($!)
done
status=0
for index in "${!pids[@]}"; do
  wait "${pids[$index]}" || status=1
done
for shard in $(seq 1 "$shards"); do
  echo "===== shard $shard/$shards ====="
  cat "$logs/$shard.log"
done
echo "shards: $shards, $([ "$status" = 0 ] && echo 'all passed' || echo 'at least one failed')"
exit "$status"
