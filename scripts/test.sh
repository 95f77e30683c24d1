#!/usr/bin/env bash
# The test suite, as `./dev test` runs it: installs Debian's chromium for the browser tests when it
# is missing (the tests never download a browser of their own), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing Debian's chromium for the browser tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "==> chromium is not installed and cannot be installed here: browser tests will be skipped" >&2
  fi
fi

# Test-only secrets; nothing here is used outside the test run.
export DEBUG=0
export SECRET_KEY="test-secret-key-$(date +%s%N)"
export TOKEN_ENCRYPTION_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
# Each run keeps its state (SQLite test database, file cache, Celery folders) in a folder of its own,
# and its own PostgreSQL test database, so runs side by side never meet.
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/gateway-test.XXXXXX")
trap 'rm -rf "$run_dir"' EXIT
export VAR_DIR="$run_dir"
export TEST_DATABASE_NAME="test_gateway_$$"
# In parallel (pytest-xdist): a worker a core, up to 4 (TEST_WORKERS sets it; `-n 0` as an argument
# runs everything in this one process). A test file stays on one worker (its module fixtures start
# gateways once); each worker is a run of its own (config/settings_test.py).
workers=${TEST_WORKERS:-$(.venv/bin/python -c 'import os; print(min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))')}
echo "==> Running the tests on ${DATABASE_URL:-SQLite}${REDIS_URL:+ with Redis}, $workers at a time" >&2
.venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
