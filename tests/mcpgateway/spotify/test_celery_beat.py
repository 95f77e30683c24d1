"""A real Celery beat and worker, as the gateway runs them, keep a grant's token fresh."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.conftest import make_grant
from tests.support.processes import gateway_env
from tests.support.redis_databases import celery_broker_env

pytestmark = pytest.mark.slow


@pytest.mark.django_db(transaction=True)
def test_beat_and_worker_refresh_an_expiring_grant(emulator, person, tmp_path):
    grant, minted = make_grant(emulator, person, expires_in=30)
    extra = {"VAR_DIR": str(tmp_path), "SPOTIFY_REFRESH_INTERVAL_SECONDS": "1", **celery_broker_env()}
    env = gateway_env(**extra)
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    worker = subprocess.Popen(celery + ["worker", "--pool", "threads", "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                              cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    beat = subprocess.Popen(celery + ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
                            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            grant.refresh_from_db()
            if grant.last_refreshed_at:
                break
            assert worker.poll() is None and beat.poll() is None, "a Celery process died"
            time.sleep(0.5)
    finally:
        for proc in (beat, worker):
            os.killpg(proc.pid, signal.SIGTERM)
        worker_log = worker.communicate(timeout=20)[0]
        beat.communicate(timeout=20)
    assert grant.last_refreshed_at, worker_log[-3000:]
    assert grant.access_token.reveal() != minted["access_token"]
    assert grant.access_token_expires_at > timezone.now() + timedelta(minutes=50)
    assert "Refresh sweep: 1 grants due: 1 refreshed" in worker_log
