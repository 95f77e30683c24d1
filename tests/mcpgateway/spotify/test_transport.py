"""The one mapping from Spotify's answers and from transport failures to the gateway's exceptions
(mcpgateway/spotify/transport.py), against the emulator process: each kind of failure as Spotify or
the network produces it, for both of Spotify's services."""

import asyncio

import httpx
import pytest
from django.conf import settings

from mcpgateway.spotify.transport import (
    SpotifyError,
    SpotifyGrantRevoked,
    SpotifyRateLimited,
    SpotifyRequestRejected,
    SpotifyService,
    SpotifyUnavailable,
    async_client,
    error_from_answer,
    read_answer,
    send,
    send_async,
    sync_client,
)
from mcpgateway.spotify_emulator.testing import free_port
from tests.conftest import TEST_CLIENT_ID

ACCOUNTS, WEB_API = SpotifyService.ACCOUNTS, SpotifyService.WEB_API
BOTH = pytest.mark.parametrize("service", [ACCOUNTS, WEB_API], ids=["accounts", "webapi"])
FAULT_SCOPE = {ACCOUNTS: "token", WEB_API: "api"}


def mint(emulator, user_id: str = "alice") -> dict:
    return emulator.mint_grants(TEST_CLIENT_ID, user_ids=[user_id])[0]


def request(service: SpotifyService, grant: dict, *, access_token: str | None = None, accounts_url: str | None = None, api_url: str | None = None) -> httpx.Response:
    """What each service is asked most: a refresh (accounts) or the person's profile (Web API)."""
    if service is ACCOUNTS:
        form = {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"], "client_id": TEST_CLIENT_ID}
        return send(ACCOUNTS, "POST", f"{accounts_url or settings.SPOTIFY_ACCOUNTS_URL}/api/token", data=form)
    token = grant["access_token"] if access_token is None else access_token
    return send(WEB_API, "GET", f"{api_url or settings.SPOTIFY_API_URL}/me", headers={"Authorization": f"Bearer {token}"})


def error_of(response: httpx.Response, service: SpotifyService) -> SpotifyError:
    assert response.status_code >= 400, response.text
    return error_from_answer(response, service=service)


# --- Transport failures -----------------------------------------------------------------------------


@BOTH
def test_a_timeout_is_unavailable(emulator, settings, service):
    grant = mint(emulator)
    settings.SPOTIFY_HTTP_TIMEOUT_SECONDS = 0.3
    emulator.set_faults(hang_next=1, hang_seconds=2, hang_scope=FAULT_SCOPE[service])
    with pytest.raises(SpotifyUnavailable) as raised:
        request(service, grant)
    assert raised.value.message == f"{service} did not answer in time" and raised.value.status is None


@BOTH
def test_a_connection_that_fails_is_unavailable(emulator, service):
    grant = mint(emulator)
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the connection is refused
    with pytest.raises(SpotifyUnavailable) as raised:
        request(service, grant, accounts_url=nobody, api_url=nobody)
    assert raised.value.message == f"{service} could not be reached"


def test_the_event_loops_client_maps_failures_the_same_way(emulator):
    grant = mint(emulator)
    emulator.set_faults(hang_next=1, hang_seconds=2, hang_scope="api")
    me = f"{emulator.api_url}/me"
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    with pytest.raises(SpotifyUnavailable, match="did not answer in time"):
        asyncio.run(send_async(WEB_API, "GET", me, headers=headers, timeout=0.3))
    with pytest.raises(SpotifyUnavailable, match="could not be reached"):
        asyncio.run(send_async(WEB_API, "GET", f"http://127.0.0.1:{free_port()}/v1/me", headers=headers))
    assert asyncio.run(send_async(WEB_API, "GET", me, headers=headers)).status_code == 200


# --- Error answers ----------------------------------------------------------------------------------


@BOTH
def test_5xx_is_unavailable(emulator, service):
    grant = mint(emulator)
    emulator.set_faults(fail_next=1, fail_status=503, fail_scope=FAULT_SCOPE[service])
    error = error_of(request(service, grant), service)
    assert type(error) is SpotifyUnavailable and error.status == 503
    expected = {ACCOUNTS: "Spotify's accounts service failed (HTTP 503)", WEB_API: "Service unavailable"}
    assert error.message == expected[service]


@BOTH
def test_429_is_rate_limited_for_as_long_as_retry_after_says(emulator, service):
    grant = mint(emulator)
    emulator.set_faults(rate_limit_next=1, retry_after=7, rate_limit_scope=FAULT_SCOPE[service])
    error = error_of(request(service, grant), service)
    assert type(error) is SpotifyRateLimited and error.status == 429 and error.retry_after == 7.0
    expected = {ACCOUNTS: "Spotify is rate limiting token requests", WEB_API: "API rate limit exceeded"}
    assert error.message == expected[service]


def test_401_is_rejected_with_spotifys_message(emulator):
    web_api = error_of(request(WEB_API, mint(emulator), access_token="not-a-token"), WEB_API)
    assert type(web_api) is SpotifyRequestRejected and web_api.status == 401 and web_api.message == "Invalid access token"

    form = {"grant_type": "refresh_token", "refresh_token": "x"}
    unknown_client = send(ACCOUNTS, "POST", f"{emulator.accounts_url}/api/token", data=form, auth=("nobody", "secret"))
    accounts = error_of(unknown_client, ACCOUNTS)
    assert type(accounts) is SpotifyRequestRejected and accounts.status == 401 and accounts.reason == "invalid_client"
    assert accounts.message == "Spotify refused the token request: invalid_client Invalid client"


def test_403_keeps_spotifys_reason(emulator):
    carol = mint(emulator, "carol")  # Spotify Free: no playback control from other apps
    answer = send(WEB_API, "PUT", f"{emulator.api_url}/me/player/pause", headers={"Authorization": f"Bearer {carol['access_token']}"})
    error = error_of(answer, WEB_API)
    assert type(error) is SpotifyRequestRejected and error.status == 403
    assert error.reason == "PREMIUM_REQUIRED" and error.message == "Player command failed: Premium required"


def test_404_is_rejected_with_its_reason_when_spotify_gives_one(emulator):
    alice, dave = mint(emulator), mint(emulator, "dave")  # dave has no device at all
    missing = send(WEB_API, "GET", f"{emulator.api_url}/tracks/{'Q' * 22}", headers={"Authorization": f"Bearer {alice['access_token']}"})
    error = error_of(missing, WEB_API)
    assert type(error) is SpotifyRequestRejected and error.status == 404 and error.reason == ""
    nowhere = send(WEB_API, "PUT", f"{emulator.api_url}/me/player/pause", headers={"Authorization": f"Bearer {dave['access_token']}"})
    error = error_of(nowhere, WEB_API)
    assert error.status == 404 and error.reason == "NO_ACTIVE_DEVICE"


def test_invalid_grant_is_revoked(emulator):
    spent = {"refresh_token": "AQD-used-up-token"}
    error = error_of(request(ACCOUNTS, spent), ACCOUNTS)
    assert type(error) is SpotifyGrantRevoked and error.status == 400 and error.reason == "invalid_grant"
    assert error.message.startswith("Spotify refused the grant: ")


# --- Answers that are not JSON ----------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("status, kind", [(502, SpotifyUnavailable), (400, SpotifyRequestRejected)])
def test_an_error_page_instead_of_json_is_read_by_its_status(emulator, service, status, kind):
    grant = mint(emulator)
    emulator.set_faults(fail_next=1, fail_status=status, fail_scope=FAULT_SCOPE[service], fail_body="html")
    answer = request(service, grant)
    assert answer.headers["content-type"].startswith("text/html")
    error = error_of(answer, service)
    assert type(error) is kind and error.status == status and error.reason == ""
    expected = {
        (ACCOUNTS, 502): "Spotify's accounts service failed (HTTP 502)",
        (ACCOUNTS, 400): "Spotify refused the token request: 400",
        (WEB_API, 502): "Spotify answered HTTP 502",
        (WEB_API, 400): "Spotify answered HTTP 400",
    }
    assert error.message == expected[service, status]


@BOTH
def test_a_success_that_is_not_json_is_unavailable(emulator, service):
    grant = mint(emulator)
    emulator.set_faults(fail_next=1, fail_status=200, fail_scope=FAULT_SCOPE[service], fail_body="html")
    answer = request(service, grant)
    assert answer.status_code == 200
    with pytest.raises(SpotifyUnavailable) as raised:
        read_answer(answer, service=service, read=dict)
    assert raised.value.message == f"{service} sent an unreadable answer" and raised.value.status == 200


def test_a_success_that_is_not_what_was_expected_is_unavailable(emulator):
    answer = request(WEB_API, mint(emulator))
    assert read_answer(answer, service=WEB_API, read=lambda body: body["id"]) == "alice"
    with pytest.raises(SpotifyUnavailable, match="unreadable"):
        read_answer(answer, service=WEB_API, read=lambda body: body["no such field"])


# --- Clients ----------------------------------------------------------------------------------------


def test_one_sync_client_per_process_and_one_async_client_per_event_loop():
    assert sync_client() is sync_client()

    async def twice():
        return async_client(), async_client()

    first, again = asyncio.run(twice())
    assert first is again
    other, _ = asyncio.run(twice())
    assert other is not first
