"""The beat's sweep refreshes what expires soon, one request a grant, and says what it did."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from mcpgateway.crypto import SecretToken
from mcpgateway.models import SpotifyGrant
from mcpgateway.spotify.services import grants_refresh_expiring
from tests.conftest import make_grant
from tests.support.emulator import refresh_requests


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
