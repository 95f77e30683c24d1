"""The suite's own session fixtures (tests/conftest.py), seen from a pytest run of their own."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_a_run_without_database_tests_ends_without_touching_the_database(tmp_path):
    """Such a run creates no test database, so the clean-up of stray PostgreSQL sessions has
    nothing to do; connecting to the database the settings name would fail (it need not exist)."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "TEST_DATABASE_NAME": f"{os.environ.get('TEST_DATABASE_NAME', 'test_gateway')}_inner"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/mcpgateway/core/test_epoch_cache.py"],
                         cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "error" not in run.stdout.splitlines()[-1], run.stdout[-3000:] + run.stderr[-2000:]


def test_every_collected_test_has_a_node_id_of_its_own():
    """pytest-xdist (the suite runs in parallel) schedules tests by node id: tests sharing one ran
    once between them (schemathesis's, one per API operation, did under pytest 9)."""
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests/mcpgateway/api/test_schema_fuzz.py"],
                         cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120)
    ids = [line for line in run.stdout.splitlines() if "::" in line]
    assert run.returncode == 0 and len(ids) > 10, run.stdout[-3000:] + run.stderr[-2000:]
    assert len(set(ids)) == len(ids), sorted(ids)
    assert "tests/mcpgateway/api/test_schema_fuzz.py::test_no_operation_answers_5xx[GET /api/me]" in ids
