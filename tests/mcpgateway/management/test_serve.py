"""The gateway as a deployment runs it, one process per role (docs/deployment.md): `manage.py
release`, then `manage.py serve web` with two workers, `serve worker` and `serve beat` as separate
processes; /healthz turns green (database, broker, cache, both heartbeats), a tool call works, and
each role stops cleanly on SIGTERM. On SQLite with the one-machine broker, and on PostgreSQL +
Redis when the run has them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings

from accounts.services import personal_access_token_create
from tests.mcpgateway.mcp.conftest import modern_call, reply_of
from tests.support.processes import GatewayProcesses, free_port, gateway_env
from tests.support.redis_databases import celery_broker_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def manage(*arguments: str) -> list[str]:
    return [sys.executable, "manage.py", *arguments]


def test_each_role_in_its_own_process_makes_a_working_deployment(person, no_heartbeats):
    extra = {"HEARTBEAT_INTERVAL_SECONDS": "1", **celery_broker_env()}
    env = gateway_env(VAR_DIR=str(settings.VAR_DIR), **extra)

    release = subprocess.run(manage("release"), cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert release.returncode == 0, release.stdout + release.stderr
    assert "Release: applying database migrations" in release.stdout and "Release: done" in release.stdout

    port = free_port()
    web = GatewayProcesses()
    base = web.start(port, command=manage("serve", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"), **extra)
    roles = {
        role: subprocess.Popen(manage("serve", role), cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        for role in ("worker", "beat")
    }
    try:
        deadline = time.monotonic() + 60
        while (health := httpx.get(f"{base}/healthz")).status_code != 200:
            assert time.monotonic() < deadline, health.json()
            assert all(process.poll() is None for process in roles.values()), {r: p.poll() for r, p in roles.items()}
            time.sleep(0.5)
        checks = health.json()["checks"]
        assert checks["celery_worker"]["ok"] and checks["celery_beat"]["ok"]

        _row, token = personal_access_token_create(user=person, name="deployment", scopes={"spotify:read"}, expires_in_days=1)
        for _ in range(4):  # spread over both web workers
            identity = reply_of(modern_call(base, token, "tools/call", {"name": "get_gateway_identity", "arguments": {}}))
            assert identity["result"]["structuredContent"]["username"] == person.username
    finally:
        for role, process in roles.items():
            process.send_signal(signal.SIGTERM)
        outputs = {role: process.communicate(timeout=30)[0] for role, process in roles.items()}
        web_output = web.stop()[0]
    # `serve` execs the role's program: the process that got SIGTERM is Celery itself, and stops cleanly.
    for role, process in roles.items():
        assert process.returncode in (0, -signal.SIGTERM), (role, process.returncode, outputs[role])
        assert f"Serving the gateway's {role} role" in outputs[role] and "Traceback" not in outputs[role]
    assert "Serving the gateway's web role" in web_output
