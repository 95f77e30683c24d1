"""GET /healthz: ready to serve people, not just reachable: dependencies, secrets, encryption,
and a live Celery worker and beat."""

import os
import signal
import subprocess
import sys
import time

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

from mcpgateway.core.heartbeats import ROLES, heartbeat_write
from tests.support.processes import gateway_env
from tests.support.redis_databases import celery_broker_env


@pytest.fixture
def heartbeats(no_heartbeats):
    """A worker and beat that have just written their heartbeats."""
    for role in ROLES:
        heartbeat_write(role)


def failing(response) -> dict:
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    return {name: check["error"] for name, check in body["checks"].items() if not check["ok"]}


@pytest.mark.django_db
def test_healthz_reports_every_check_ok(client, heartbeats):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache", "secrets", "encryption", "celery_worker", "celery_beat"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["celery_worker"]["age_s"] < 5


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_unreachable(client, heartbeats):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert set(failing(response)) == {"broker"}


@pytest.mark.django_db
def test_healthz_is_red_with_a_mangled_encryption_key(client, heartbeats, settings):
    cut = Fernet.generate_key().decode()[:-1]
    settings.TOKEN_ENCRYPTION_KEYS = [cut]
    problems = failing(client.get("/healthz"))
    assert set(problems) == {"secrets", "encryption"}
    assert "TOKEN_ENCRYPTION_KEYS: key 1 of 1 is not a Fernet key" in problems["secrets"]
    assert cut not in str(problems)


@pytest.mark.django_db
def test_healthz_is_red_without_a_worker_and_beat_heartbeat(client, no_heartbeats):
    problems = failing(client.get("/healthz"))
    assert set(problems) == {"celery_worker", "celery_beat"}
    assert "no heartbeat from the celery worker" in problems["celery_worker"]


@pytest.mark.django_db
def test_healthz_is_red_when_a_heartbeat_is_stale(client, heartbeats, settings):
    settings.HEARTBEAT_MAX_AGE_SECONDS = 0
    time.sleep(0.05)
    problems = failing(client.get("/healthz"))
    assert "last heartbeat is" in problems["celery_beat"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_keep_healthz_green_and_their_death_turns_it_red(client, settings, tmp_path, no_heartbeats):
    extra = {"HEARTBEAT_INTERVAL_SECONDS": "1", **celery_broker_env()}
    env = gateway_env(**extra)
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    started = {
        "celery_worker": celery + ["worker", "--pool", "threads", "--concurrency", "1", "--without-gossip", "--without-mingle"],
        "celery_beat": celery + ["beat", "--schedule", str(tmp_path / "beat-schedule")],
    }
    processes = {role: subprocess.Popen(command, cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True) for role, command in started.items()}
    settings.HEARTBEAT_MAX_AGE_SECONDS = 3
    try:
        deadline = time.monotonic() + 60
        while client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, client.get("/healthz").json()
            time.sleep(0.5)
        for role in ROLES:  # stop one, see it named; the other stays green
            os.killpg(processes[role].pid, signal.SIGKILL)
            processes[role].wait(timeout=10)
            deadline = time.monotonic() + 15
            while True:
                body = client.get("/healthz").json()
                if not body["checks"][role]["ok"]:
                    break
                assert time.monotonic() < deadline, body
                time.sleep(0.5)
            assert "is it running?" in body["checks"][role]["error"]
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.mark.django_db
def test_healthz_is_red_without_a_secret_key(client, heartbeats, settings):
    settings.SECRET_KEY_MISSING = True
    problems = failing(client.get("/healthz"))
    assert set(problems) == {"secrets"}
    assert "SECRET_KEY is not set" in problems["secrets"]
