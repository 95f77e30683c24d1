"""Keeping tokens fresh: rotation, omitted refresh tokens, invalid_grant, 429 and 5xx handling."""

from datetime import timedelta
from time import sleep as real_sleep

import pytest
from django.utils import timezone

from mcpgateway.models import SpotifyGrant
from mcpgateway.spotify import services
from mcpgateway.spotify.services import GrantNeedsReconnect, GrantRefreshFailed, grant_access_token, grant_refresh
from tests.conftest import make_grant
from tests.support.emulator import refresh_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def sleeps(monkeypatch):
    """Record the waits of the retry policy instead of sleeping through them."""
    recorded: list[float] = []
    monkeypatch.setattr(services.time, "sleep", recorded.append)
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
    from mcpgateway.crypto import SecretToken

    SpotifyGrant.objects.filter(pk=grant.pk).update(refresh_token=SecretToken.from_plaintext(minted["refresh_token"]))
    with pytest.raises(GrantNeedsReconnect):
        grant_refresh(grant=grant)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.NEEDS_RECONNECT
    assert grant.access_token is None and grant.refresh_token is None
    assert "invalid_grant" in grant.last_error or "revoked" in grant.last_error.lower()
    with pytest.raises(GrantNeedsReconnect):
        grant_access_token(grant=grant)
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
    assert grant_access_token(grant=fresh) == minted["access_token"]
    assert refresh_requests(emulator) == {}

    SpotifyGrant.objects.filter(pk=fresh.pk).update(access_token_expires_at=timezone.now() + timedelta(seconds=5))
    fresh.refresh_from_db()
    token = grant_access_token(grant=fresh)
    assert token != minted["access_token"]
    assert refresh_requests(emulator) == {"success": 1}


def test_a_stale_generation_makes_no_request(emulator, person):
    grant, _ = make_grant(emulator, person, expires_in=10)
    seen = grant.refresh_generation
    grant_refresh(grant=grant, expected_generation=seen)
    again = grant_refresh(grant=grant, expected_generation=seen)  # someone already refreshed
    assert not again.performed
    assert refresh_requests(emulator) == {"success": 1}
