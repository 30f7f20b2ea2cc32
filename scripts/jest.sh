#!/usr/bin/env bash
# Runs Jest on a given Node release (see node-bin.sh; `current` is the machine's own), in Jest's ESM mode against
# the repository's NestJS 12, or with `--nest11` in Jest's CommonJS mode against NestJS 11 (jest.nest11.config.js,
# installed on first use into node_modules/.cache/nest11). Further arguments go to Jest.
#   scripts/jest.sh current -c jest.faults.config.js
#   scripts/jest.sh 24.21.0 --nest11
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: jest.sh <node version> [--nest11] [jest arguments]}"
shift
node_bin="$(command -v node)"
if [ "$version" != current ]; then
  node_bin="$(bash scripts/node-bin.sh "$version")" || { echo "no prebuilt Node $version for $(uname -sm) from the registry; using $(node --version)"; node_bin="$(command -v node)"; }
fi
nest=12
# Jest's ESM mode: NestJS 12 is ESM-only, and Jest's CommonJS mode loads ES modules only on Node 24.9+.
node_flags=(--experimental-vm-modules)
if [ "${1:-}" = "--nest11" ]; then
  shift
  nest=11
  overlay=node_modules/.cache/nest11
  if ! cmp -s scripts/nest11/package.json "$overlay/package.json"; then
    mkdir -p "$overlay"
    cp scripts/nest11/package.json "$overlay/package.json"
    (cd "$overlay" && npm install --no-audit --no-fund --no-package-lock >/dev/null)
  fi
  set -- -c jest.nest11.config.js "$@"
  # Plain CommonJS, as a NestJS 11 app runs: without the flag, a require() of an ES module fails here too.
  node_flags=()
fi
echo "jest on Node $("$node_bin" --version), NestJS $nest"
# On the PATH too, so child processes the tests start (`npm`, workers) run on the same Node.
PATH="$(dirname "$node_bin"):$PATH" PAYMENTS_AUTH_EXPECT_NEST_MAJOR=$nest \
  "$node_bin" "${node_flags[@]}" node_modules/jest/bin/jest.js "$@"
