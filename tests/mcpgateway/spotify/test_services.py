"""The writes of Spotify grants (mcpgateway/spotify/services.py): keeping tokens fresh (rotation,
omitted refresh tokens, invalid_grant, 429 and 5xx handling), single-flight across processes, and
the beat's sweep. Connecting through the dashboard is tests/mcpgateway/spotify/test_connect.py."""

import json
import logging
import subprocess
import sys
import time
from datetime import timedelta
from time import sleep as real_sleep

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError
from django.db.models import QuerySet
from django.utils import timezone

from mcpgateway.core.crypto import SecretToken
from mcpgateway.spotify import services, transport
from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.services import (
    GrantNeedsReconnect,
    GrantRefreshFailed,
    grant_refresh,
    grant_with_fresh_token,
    grants_refresh_expiring,
)
from tests.conftest import make_grant
from tests.support.emulator import refresh_requests
from tests.support.processes import gateway_env
from tests.support.refresh_worker import refresh_from_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def sleeps(monkeypatch):
    """Record the waits of the retry policy instead of sleeping through them (a Retry-After the
    transport holds requests for has passed once it was "slept")."""
    recorded: list[float] = []

    def sleep(seconds: float) -> None:
        recorded.append(seconds)
        transport.rate_limit_holds_clear()

    monkeypatch.setattr(services.time, "sleep", sleep)
    return recorded


def test_refresh_rotates_and_saves_the_new_refresh_token(emulator, person):
    emulator.set_faults(omit_refresh_token="never")
    grant, minted = make_grant(emulator, person, expires_in=10)
    result = grant_refresh(grant=grant)
    assert result.performed
    grant.refresh_from_db()
    assert grant.refresh_token.reveal() != minted["refresh_token"]
    assert grant.access_token.reveal() != minted["access_token"]
    assert grant.access_token_expires_at > timezone.now() + timedelta(minutes=50)
    assert grant.last_refreshed_at and not grant.last_error
    # The old refresh token is dead at Spotify, and the saved one works.
    grant_refresh(grant=grant)
    assert refresh_requests(emulator) == {"success": 2}


def test_an_omitted_refresh_token_keeps_the_old_one(emulator, person):
    emulator.set_faults(omit_refresh_token="always")
    grant, minted = make_grant(emulator, person, expires_in=10)
    grant_refresh(grant=grant)
    grant.refresh_from_db()
    assert grant.refresh_token.reveal() == minted["refresh_token"]
    grant_refresh(grant=grant)  # still valid at Spotify
    assert refresh_requests(emulator) == {"success": 2}


def test_invalid_grant_needs_reconnect_and_is_never_retried(emulator, person):
    emulator.set_faults(omit_refresh_token="never")
    grant, minted = make_grant(emulator, person, expires_in=10)
    grant_refresh(grant=grant)
    # Put the consumed refresh token back, as if another copy had used it: Spotify answers invalid_grant.
    SpotifyGrant.objects.filter(pk=grant.pk).update(refresh_token=SecretToken.from_plaintext(minted["refresh_token"]))
    with pytest.raises(GrantNeedsReconnect):
        grant_refresh(grant=grant)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.NEEDS_RECONNECT
    assert grant.access_token is None and grant.refresh_token is None
    assert "invalid_grant" in grant.last_error or "revoked" in grant.last_error.lower()
    with pytest.raises(GrantNeedsReconnect):
        grant_with_fresh_token(grant=grant)
    assert refresh_requests(emulator) == {"success": 1, "invalid_grant": 1}


def test_six_months_after_consent_the_grant_needs_reconnect(emulator, person):
    grant, _ = make_grant(emulator, person, expires_in=10)
    emulator.advance_clock(183 * 24 * 3600)
    with pytest.raises(GrantNeedsReconnect):
        grant_refresh(grant=grant)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.NEEDS_RECONNECT


def test_429_waits_for_retry_after_then_succeeds(emulator, person, sleeps):
    grant, _ = make_grant(emulator, person, expires_in=10)
    emulator.set_faults(rate_limit_next=1, retry_after=2, fail_scope="token")
    assert grant_refresh(grant=grant).performed
    assert sleeps == [2.0]
    assert refresh_requests(emulator) == {"rate_limited": 1, "success": 1}


def test_429_with_a_long_retry_after_postpones_the_grant(emulator, person, sleeps, settings):
    settings.SPOTIFY_MAX_RETRY_AFTER_SECONDS = 5
    grant, _ = make_grant(emulator, person, expires_in=10)
    emulator.set_faults(rate_limit_next=1, retry_after=120, fail_scope="token")
    with pytest.raises(GrantRefreshFailed):
        grant_refresh(grant=grant)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.ACTIVE
    assert grant.next_refresh_attempt_at >= timezone.now() + timedelta(seconds=110)
    assert sleeps == []


def test_5xx_is_retried_with_growing_backoff(emulator, person, sleeps):
    grant, _ = make_grant(emulator, person, expires_in=10)
    emulator.set_faults(fail_next=2, fail_status=503, fail_scope="token")
    assert grant_refresh(grant=grant).performed
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] > 0
    assert refresh_requests(emulator) == {"server_error_503": 2, "success": 1}


def test_5xx_that_persists_keeps_the_grant_and_backs_off(emulator, person, sleeps, settings):
    settings.SPOTIFY_REFRESH_MAX_ATTEMPTS = 3
    grant, _ = make_grant(emulator, person, expires_in=10)
    emulator.set_faults(fail_next=5, fail_status=502, fail_scope="token")
    with pytest.raises(GrantRefreshFailed):
        grant_refresh(grant=grant)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.ACTIVE
    assert grant.last_error and grant.refresh_failures == 1
    assert grant.next_refresh_attempt_at > timezone.now()
    assert refresh_requests(emulator) == {"server_error_502": 3}


def test_a_timeout_is_retried(emulator, person, sleeps, settings):
    settings.SPOTIFY_HTTP_TIMEOUT_SECONDS = 0.5
    grant, _ = make_grant(emulator, person, expires_in=10)
    emulator.set_faults(hang_next=1, hang_seconds=2, fail_scope="token")
    assert grant_refresh(grant=grant).performed
    assert len(sleeps) == 1
    # The abandoned request still reaches Spotify later; its refresh token is used up by then, so it
    # is refused and the grant, saved from the retry, stays good.
    for _ in range(100):
        if refresh_requests(emulator).get("invalid_grant"):
            break
        real_sleep(0.05)
    assert refresh_requests(emulator) == {"success": 1, "invalid_grant": 1}
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.ACTIVE
    assert grant_refresh(grant=grant).performed


def test_on_demand_path_refreshes_only_a_nearly_expired_token(emulator, person):
    fresh, minted = make_grant(emulator, person, expires_in=3600)
    assert grant_with_fresh_token(grant=fresh).access_token.reveal() == minted["access_token"]
    assert refresh_requests(emulator) == {}

    SpotifyGrant.objects.filter(pk=fresh.pk).update(access_token_expires_at=timezone.now() + timedelta(seconds=5))
    fresh.refresh_from_db()
    token = grant_with_fresh_token(grant=fresh).access_token.reveal()
    assert token != minted["access_token"]
    assert refresh_requests(emulator) == {"success": 1}


def test_a_stale_generation_makes_no_request(emulator, person):
    grant, _ = make_grant(emulator, person, expires_in=10)
    seen = grant.refresh_generation
    grant_refresh(grant=grant, expected_generation=seen)
    again = grant_refresh(grant=grant, expected_generation=seen)  # someone already refreshed
    assert not again.performed
    assert refresh_requests(emulator) == {"success": 1}


# --- Single flight across processes -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refreshes_across_two_processes_make_one_request(emulator, person):
    grant, minted = make_grant(emulator, person, expires_in=10)
    # A slow token endpoint keeps the window wide open: everyone arrives while the leader waits.
    emulator.set_faults(token_latency_ms=400)
    start_at = time.time() + 3.0  # both processes start together, after the other one has booted

    other = subprocess.Popen(
        [sys.executable, "-m", "tests.support.refresh_worker", str(grant.pk), str(grant.refresh_generation), "10", str(start_at)],
        cwd=django_settings.BASE_DIR,
        env=gateway_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    here = refresh_from_threads(grant.pk, grant.refresh_generation, 10, start_at)
    out, err = other.communicate(timeout=60)
    assert other.returncode == 0, err
    there = json.loads(out.strip().splitlines()[-1])

    results = here + there
    assert len(results) == 20
    assert [r for r in results if "error" in r] == []
    assert sum(r["performed"] for r in results) == 1
    assert len({r["token"] for r in results}) == 1  # everyone got the one new token
    assert refresh_requests(emulator) == {"success": 1}, (emulator.stats(), emulator.output()[-3000:])
    grant.refresh_from_db()
    assert grant.access_token.reveal() != minted["access_token"]
    assert grant.access_token_expires_at > timezone.now() + timedelta(minutes=50)


# --- The beat's sweep ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sweep_refreshes_expiring_grants_and_reports(emulator, django_user_model, caplog):
    emulator.set_faults(token_latency_ms=50, omit_refresh_token="never")
    people = [django_user_model.objects.create_user(username=f"user{i}") for i in range(12)]
    expiring = [make_grant(emulator, p, expires_in=60)[0] for p in people[:8]]
    fresh = make_grant(emulator, people[8], expires_in=3600)[0]
    revoked, minted = make_grant(emulator, people[9], expires_in=60)
    # Its refresh token was used elsewhere already: Spotify answers invalid_grant.
    SpotifyGrant.objects.filter(pk=revoked.pk).update(refresh_token=SecretToken.from_plaintext("AQD-used-up-token"))
    postponed = make_grant(emulator, people[10], expires_in=60)[0]
    SpotifyGrant.objects.filter(pk=postponed.pk).update(next_refresh_attempt_at=timezone.now() + timedelta(minutes=5))
    disconnected = make_grant(emulator, people[11], expires_in=60)[0]
    SpotifyGrant.objects.filter(pk=disconnected.pk).update(status=SpotifyGrant.Status.DISCONNECTED)

    with caplog.at_level(logging.INFO, logger="mcpgateway"):
        report = grants_refresh_expiring(concurrency=4)

    assert (report.due, report.refreshed, report.skipped, report.failed, report.needs_reconnect) == (9, 8, 0, 0, 1)
    assert refresh_requests(emulator) == {"success": 8, "invalid_grant": 1}
    for grant in expiring:
        grant.refresh_from_db()
        assert grant.access_token_expires_at > timezone.now() + timedelta(minutes=50)
    assert SpotifyGrant.objects.get(pk=revoked.pk).status == SpotifyGrant.Status.NEEDS_RECONNECT
    for untouched in (fresh, postponed, disconnected):
        assert SpotifyGrant.objects.get(pk=untouched.pk).last_refreshed_at is None
    assert "9 grants due: 8 refreshed, 0 skipped, 0 failed, 1 need reconnect" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_second_sweep_finds_nothing_to_do(emulator, person):
    make_grant(emulator, person, expires_in=60)
    assert grants_refresh_expiring().refreshed == 1
    second = grants_refresh_expiring()
    assert second.due == 0
    assert refresh_requests(emulator) == {"success": 1}


def test_rotated_tokens_are_saved_through_a_short_database_outage(emulator, person, sleeps, monkeypatch):
    """Spotify has rotated the refresh token when its answer arrives: losing the save would lose the
    only valid copy (the grant would need a reconnect), so a database that drops the connection is
    tried again."""
    emulator.set_faults(omit_refresh_token="never")
    grant, minted = make_grant(emulator, person, expires_in=10)
    real_update = QuerySet.update
    dropped = []

    def update(self, **changes):
        if self.model is SpotifyGrant and "access_token" in changes and not dropped:
            dropped.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(self, **changes)

    monkeypatch.setattr(QuerySet, "update", update)
    assert grant_refresh(grant=grant).performed
    grant.refresh_from_db()
    assert dropped and sleeps == [1.0]
    assert grant.refresh_token.reveal() != minted["refresh_token"] and grant.access_token.reveal() != minted["access_token"]
    assert not grant.refresh_lease and refresh_requests(emulator) == {"success": 1}


@pytest.fixture
def statements(monkeypatch):
    """Every SQL statement any thread sends (execute, executemany), as (kind, sql)."""
    from django.db.backends import utils

    sent: list[tuple[str, str]] = []
    execute, executemany = utils.CursorWrapper.execute, utils.CursorWrapper.executemany

    def counted_execute(self, sql, params=None):
        sent.append(("execute", str(sql)))
        return execute(self, sql, params)

    def counted_executemany(self, sql, param_list):
        sent.append(("executemany", str(sql)))
        return executemany(self, sql, param_list)

    monkeypatch.setattr(utils.CursorWrapper, "execute", counted_execute)
    monkeypatch.setattr(utils.CursorWrapper, "executemany", counted_executemany)
    return sent


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leases_and_saves_grants_in_batches(emulator, django_user_model, statements):
    grants = [make_grant(emulator, django_user_model.objects.create_user(username=f"user{i}"), expires_in=60)[0] for i in range(30)]
    statements.clear()

    report = grants_refresh_expiring(concurrency=8)

    assert (report.due, report.refreshed) == (30, 30)
    updates = [sql for _kind, sql in statements if sql.lstrip().upper().startswith("UPDATE")]
    # A lease UPDATE per batch and a few saves (executemany) as the requests come back, not three
    # UPDATEs per grant (90 here).
    assert len(updates) <= 10, updates
    for grant in grants:
        grant.refresh_from_db()
        assert grant.access_token_expires_at > timezone.now() + timedelta(minutes=50)
        assert grant.refresh_generation == 1 and grant.refresh_lease == "" and grant.refresh_lease_expires_at is None
    assert refresh_requests(emulator) == {"success": 30}


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_a_grant_leased_by_someone_else_to_them(emulator, django_user_model):
    leased, other = (make_grant(emulator, django_user_model.objects.create_user(username=f"user{i}"), expires_in=60)[0] for i in range(2))
    SpotifyGrant.objects.filter(pk=leased.pk).update(refresh_lease="someone-else", refresh_lease_expires_at=timezone.now() + timedelta(seconds=60))

    report = grants_refresh_expiring(concurrency=2)

    assert (report.due, report.refreshed) == (1, 1)  # a grant under a live lease is not even due (grants_due_for_refresh)
    assert refresh_requests(emulator) == {"success": 1}
    assert SpotifyGrant.objects.get(pk=leased.pk).refresh_lease == "someone-else"
    assert SpotifyGrant.objects.get(pk=other.pk).last_refreshed_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_sweep_saves_rotated_tokens_through_a_short_database_outage(emulator, django_user_model, sleeps, monkeypatch):
    """The batch's save is one transaction holding Spotify's only valid refresh tokens: a dropped
    connection there is tried again (the whole batch, counted once), never costing 20 reconnects."""
    from django.db.backends import utils

    emulator.set_faults(omit_refresh_token="never")
    minted = {grant.pk: tokens for grant, tokens in (
        make_grant(emulator, django_user_model.objects.create_user(username=f"user{i}"), expires_in=60) for i in range(20))}
    executemany = utils.CursorWrapper.executemany
    dropped = []

    def drops_once(self, sql, param_list):
        if str(sql).lstrip().upper().startswith("UPDATE") and not dropped:
            dropped.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return executemany(self, sql, param_list)

    monkeypatch.setattr(utils.CursorWrapper, "executemany", drops_once)
    report = grants_refresh_expiring(concurrency=4)

    assert dropped and 1.0 in sleeps
    assert (report.due, report.refreshed, report.failed) == (20, 20, 0)
    for grant in SpotifyGrant.objects.filter(pk__in=minted):
        assert grant.refresh_token.reveal() != minted[grant.pk]["refresh_token"]  # the rotated one, saved
        assert grant.refresh_generation == 1 and not grant.refresh_lease
    assert refresh_requests(emulator) == {"success": 20}
