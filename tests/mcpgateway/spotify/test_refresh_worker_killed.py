"""A Celery worker killed (SIGKILL) in the middle of refreshing a grant.

The grant is never half-saved: the new access token, its expiry and the rotated refresh token are
written by one UPDATE, so until then the row holds the old, consistent set. The dead worker's lease
keeps the sweep away from the grant until it expires; the next sweep after that completes it.

Spotify's refresh tokens are single-use (the emulator rotates them, as Spotify does for PKCE apps).
If the worker died after Spotify answered but before the UPDATE, the new refresh token is lost with
it and the old one is dead: nothing can get the grant back without the person. The gateway then
marks it *needs reconnect* at the next sweep (tokens dropped, the person told on the dashboard and
by mail) rather than retrying a dead token. Both cases are tested here.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.services import grants_refresh_expiring
from tests.conftest import make_grant
from tests.support.emulator import refresh_requests
from tests.support.processes import gateway_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def kill_worker_when(emulator, tmp_path, condition) -> None:
    """Run a Celery worker and beat (a sweep every second) until `condition(emulator stats)` holds,
    then SIGKILL the worker."""
    # Its own broker folder (filesystem transport under VAR_DIR): no other run's messages.
    env = gateway_env(VAR_DIR=str(tmp_path), CELERY_BROKER_URL="filesystem://", SPOTIFY_REFRESH_INTERVAL_SECONDS="1")
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    log = open(tmp_path / "celery.log", "w+")
    worker = subprocess.Popen(celery + ["worker", "--pool", "threads", "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                              cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    beat = subprocess.Popen(celery + ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
                            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 45
        while not condition(emulator.stats()):
            assert time.monotonic() < deadline, "the worker never started the refresh"
            assert worker.poll() is None, "the worker died by itself"
            time.sleep(0.02)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        for proc in (beat, worker):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        log.close()


def lease_expires(grant) -> None:
    """What REFRESH_LEASE_SECONDS of waiting would do."""
    SpotifyGrant.objects.filter(pk=grant.pk).update(refresh_lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_killed_before_spotify_answered_the_next_sweep_completes_it(emulator, person, tmp_path):
    emulator.set_faults(omit_refresh_token="never", fail_next=2, fail_status=503, fail_scope="token")
    grant, minted = make_grant(emulator, person, expires_in=30)

    # Killed while backing off after Spotify's first 503: nothing was issued yet.
    kill_worker_when(emulator, tmp_path, lambda stats: stats["faults_injected"].get("fail", 0) >= 1)

    grant.refresh_from_db()
    assert grant.refresh_lease, "the kill came before the worker took the grant"
    assert grant.access_token.reveal() == minted["access_token"] and grant.refresh_token.reveal() == minted["refresh_token"]
    assert grant.status == SpotifyGrant.Status.ACTIVE and grant.last_refreshed_at is None
    emulator.clear_faults()
    emulator.set_faults(omit_refresh_token="never")

    started = time.monotonic()
    report = grants_refresh_expiring()
    assert report.due == 0 and time.monotonic() - started < 10  # the dead worker's lease: left alone, not waited on

    lease_expires(grant)
    report = grants_refresh_expiring()

    assert (report.due, report.refreshed) == (1, 1)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.ACTIVE and not grant.refresh_lease and not grant.last_error
    assert grant.access_token.reveal() != minted["access_token"] and grant.refresh_token.reveal() != minted["refresh_token"]
    assert grant.access_token_expires_at > timezone.now() + timedelta(minutes=50)
    assert refresh_requests(emulator).get("success") == 1


def test_killed_after_spotify_rotated_the_token_the_grant_needs_reconnect(emulator, person, tmp_path):
    emulator.set_faults(omit_refresh_token="never", hang_next=1, hang_seconds=2, hang_scope="token")
    grant, minted = make_grant(emulator, person, expires_in=30)

    # Killed while Spotify holds the request; Spotify then rotates the token, and the answer is lost.
    kill_worker_when(emulator, tmp_path, lambda stats: stats["faults_injected"].get("hung", 0) >= 1)
    deadline = time.monotonic() + 10
    while refresh_requests(emulator).get("success") != 1:
        assert time.monotonic() < deadline, refresh_requests(emulator)
        time.sleep(0.1)

    grant.refresh_from_db()
    # Not half-saved: the old, consistent set (whose refresh token Spotify no longer takes).
    assert grant.access_token.reveal() == minted["access_token"] and grant.refresh_token.reveal() == minted["refresh_token"]
    assert grant.status == SpotifyGrant.Status.ACTIVE and grant.last_refreshed_at is None

    lease_expires(grant)
    report = grants_refresh_expiring()

    assert (report.due, report.needs_reconnect) == (1, 1)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.NEEDS_RECONNECT
    assert grant.access_token is None and grant.refresh_token is None and not grant.refresh_lease
    assert grant.reconnect_notice_sent_at is not None or not person.email  # told by mail when they have an address
    assert refresh_requests(emulator) == {"success": 1, "invalid_grant": 1}  # the dead token asked once, never again
    assert grants_refresh_expiring().due == 0
