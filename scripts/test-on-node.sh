#!/usr/bin/env bash
# Runs the Jest suite (unit and integration specs; the fault suite runs once, on the machine's own Node) on
# another Node release (see node-bin.sh).
set -euo pipefail
version="${1:?usage: test-on-node.sh <node version>}"
node_bin="$(bash "$(dirname "$0")/node-bin.sh" "$version")" || { echo "no prebuilt Node $version for $(uname -sm) from the registry; skipped"; exit 0; }
echo "jest on Node $("$node_bin" --version)"
# On the PATH too, so child processes the tests start (`npm`, workers) run on the same Node.
PATH="$(dirname "$node_bin"):$PATH" PAYMENTS_AUTH_TEST_REQUIRE_LOGS=1 "$node_bin" node_modules/jest/bin/jest.js --detectOpenHandles
