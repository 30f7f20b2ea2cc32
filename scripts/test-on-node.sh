#!/usr/bin/env bash
# Runs the Jest suite (unit and integration specs; the fault suite runs once, on the machine's own Node) on
# another Node release (see node-bin.sh) and against NestJS 12 (jest.nest12.config.js), installed on first use
# into node_modules/.cache.
set -euo pipefail
version="${1:?usage: test-on-node.sh <node version>}"
node_bin="$(bash "$(dirname "$0")/node-bin.sh" "$version")" || { echo "no prebuilt Node $version for $(uname -sm) from the registry; skipped"; exit 0; }
overlay=node_modules/.cache/nest12
if ! cmp -s scripts/nest12/package.json "$overlay/package.json"; then
  mkdir -p "$overlay"
  cp scripts/nest12/package.json "$overlay/package.json"
  (cd "$overlay" && npm install --no-audit --no-fund --no-package-lock >/dev/null)
fi
echo "jest on Node $("$node_bin" --version), NestJS $(node -p "require('./$overlay/node_modules/@nestjs/core/package.json').version")"
# On the PATH too, so child processes the tests start (`npm`, workers) run on the same Node.
PATH="$(dirname "$node_bin"):$PATH" PAYMENTS_AUTH_TEST_REQUIRE_LOGS=1 PAYMENTS_AUTH_EXPECT_NEST_MAJOR=12 \
  "$node_bin" --experimental-vm-modules node_modules/jest/bin/jest.js -c jest.nest12.config.js --detectOpenHandles
