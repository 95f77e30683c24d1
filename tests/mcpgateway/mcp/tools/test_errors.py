"""Spotify's failures, the grant's state and the caller's scopes come back as tool results with
isError and a message a person can act on, never as protocol errors or crashes."""

import time

import pytest
from django.conf import settings

from mcpgateway.core.crypto import SecretToken
from mcpgateway.spotify import webapi
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import TEST_CLIENT_ID, make_grant
from tests.support.emulator import refresh_requests

from .conftest import spotify_requests

pytestmark = pytest.mark.django_db(transaction=True)

DASHBOARD = f"{settings.PUBLIC_BASE_URL}/"


def test_short_rate_limit_is_waited_out_once(tools, alice, emulator, sent_to_spotify):
    emulator.set_faults(rate_limit_next=1, retry_after=1, rate_limit_scope="api")
    started = time.monotonic()
    assert tools.ok("get_my_profile")["id"] == "alice"
    assert time.monotonic() - started >= 1.0
    assert spotify_requests(sent_to_spotify) == ["GET /me", "GET /me"]


def test_long_rate_limit_is_reported_without_waiting(tools, alice, emulator, sent_to_spotify):
    emulator.set_faults(rate_limit_next=1, retry_after=int(webapi.RETRY_AFTER_WAIT_LIMIT_SECONDS) + 25, rate_limit_scope="api")
    started = time.monotonic()
    message = tools.error("get_my_profile")
    assert "limiting" in message and "Try again in" in message
    assert time.monotonic() - started < 5
    assert spotify_requests(sent_to_spotify) == ["GET /me"]


def test_a_second_rate_limit_is_reported(tools, alice, emulator):
    emulator.set_faults(rate_limit_next=2, retry_after=0, rate_limit_scope="api")
    assert "limiting" in tools.error("get_devices")


def test_spotify_5xx_is_unavailable(tools, alice, emulator):
    emulator.set_faults(fail_next=1, fail_status=503, fail_scope="api")
    assert "Spotify is not answering properly" in tools.error("get_playback_state")


def test_spotify_timeout_is_unavailable(tools, alice, emulator, settings):
    settings.SPOTIFY_HTTP_TIMEOUT_SECONDS = 0.5
    emulator.set_faults(hang_next=1, hang_seconds=3, hang_scope="api")
    assert "Spotify is not answering properly" in tools.error("get_devices")


def test_a_401_refreshes_the_grant_once_and_retries(tools, alice, emulator):
    old_token = alice.access_token.reveal()
    emulator.advance_clock(3700)  # Spotify's token has expired; the gateway still thinks it is good
    assert tools.ok("get_my_profile")["id"] == "alice"
    assert refresh_requests(emulator).get("success") == 1
    grant = SpotifyGrant.objects.get(pk=alice.pk)
    assert grant.refresh_generation == alice.refresh_generation + 1 and grant.access_token.reveal() != old_token


def test_a_nearly_expired_token_is_refreshed_before_the_call(tools, emulator, person, sent_to_spotify):
    grant, _ = make_grant(emulator, person, spotify_user_id="alice", expires_in=5)
    assert tools.ok("get_devices")["devices"]
    assert refresh_requests(emulator).get("success") == 1
    assert spotify_requests(sent_to_spotify) == ["GET /me/player/devices"]


def test_no_spotify_connection_points_to_the_dashboard(tools, emulator, person, sent_to_spotify):
    message = tools.error("search", {"query": "Golden"})
    assert "not connected" in message and DASHBOARD in message
    assert sent_to_spotify == []


def test_grant_needing_reconnect_points_to_the_dashboard(tools, alice):
    SpotifyGrant.objects.filter(pk=alice.pk).update(status=SpotifyGrant.Status.NEEDS_RECONNECT)
    message = tools.error("get_my_profile")
    assert "Reconnect Spotify" in message and DASHBOARD in message


def test_refresh_token_refused_by_spotify_means_reconnect(tools, emulator, person):
    grant, _ = make_grant(emulator, person, spotify_user_id="alice", expires_in=-10)
    SpotifyGrant.objects.filter(pk=grant.pk).update(refresh_token=SecretToken.from_plaintext("revoked-at-spotify"))
    message = tools.error("get_my_profile")
    assert "Reconnect Spotify" in message and DASHBOARD in message
    assert SpotifyGrant.objects.get(pk=grant.pk).status == SpotifyGrant.Status.NEEDS_RECONNECT


def test_credential_without_the_gateway_scope_is_refused(tools, alice, sent_to_spotify):
    reader = tools.with_scopes("spotify:read")
    assert reader.ok("get_my_profile")["id"] == "alice"
    message = reader.error("pause_playback")
    assert "spotify:playback" in message and DASHBOARD in message
    assert spotify_requests(sent_to_spotify) == ["GET /me"]


def test_grant_without_the_spotify_scope_is_refused_before_sending(tools, alice, sent_to_spotify):
    SpotifyGrant.objects.filter(pk=alice.pk).update(scopes=alice.scopes.replace("user-modify-playback-state", ""))
    message = tools.error("skip_to_next")
    assert "user-modify-playback-state" in message and "Reconnect Spotify" in message
    assert sent_to_spotify == []


def test_spotify_refusing_for_a_missing_scope_asks_to_reconnect(tools, emulator, person):
    minted = emulator.mint_grants(TEST_CLIENT_ID, user_ids=["alice"], scopes=["user-read-private"])[0]
    grant, _ = make_grant(emulator, person, spotify_user_id="alice")
    # The gateway believes the grant has every scope, but the token Spotify knows has only one.
    SpotifyGrant.objects.filter(pk=grant.pk).update(access_token=SecretToken.from_plaintext(minted["access_token"]))
    message = tools.error("get_top_tracks")
    assert "does not include the permission" in message and DASHBOARD in message


def test_no_spotify_token_in_any_result(tools, alice, emulator):
    token = alice.access_token.reveal()
    emulator.set_faults(fail_next=1, fail_status=500, fail_scope="api")
    texts = [tools.error("get_devices"), tools.error("get_track", {"track_id": "0" * 22}), str(tools.ok("get_playback_state"))]
    assert not any(token in text for text in texts)
