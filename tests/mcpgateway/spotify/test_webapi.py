"""Spotify's Web API client (mcpgateway/spotify/webapi.py) against the emulator: its operations
table, the one retry after a 401 and after a short 429, what Spotify's refusals become, and the
synchronous profile call a new connection makes. The tools built on it: tests/mcpgateway/mcp/tools/."""

import asyncio
import time

import pytest

from mcpgateway.spotify.transport import SpotifyRateLimited, SpotifyRequestRejected, SpotifyUnavailable
from mcpgateway.spotify.webapi import OPERATIONS, RETRY_AFTER_WAIT_LIMIT_SECONDS, SpotifyApi, SpotifyInvalidRequest, current_user
from tests.conftest import TEST_CLIENT_ID
from tests.mcpgateway.mcp.tools.openapi_requests import _resolve, spec_dict


class HandedTokens:
    """AccessTokens that hand out the given tokens in turn: the next one after each rejection."""

    def __init__(self, *tokens: str):
        self.tokens = list(tokens)
        self.rejected: list[str] = []

    async def current(self) -> str:
        return self.tokens[0]

    async def after_rejection(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.tokens.pop(0)
        return self.tokens[0]


def token_of(emulator, user_id: str) -> str:
    return emulator.mint_grants(TEST_CLIENT_ID, user_ids=[user_id])[0]["access_token"]


def api_requests(emulator) -> dict[str, int]:
    return emulator.stats()["api_requests"]["by_status"]


def test_operations_table_matches_the_openapi_file():
    paths = spec_dict()["paths"]
    for operation_id, operation in OPERATIONS.items():
        described = paths[operation.path][operation.method.lower()]
        assert described["operationId"] == operation_id
        assert not described.get("deprecated"), f"{operation_id} was removed by Spotify in February 2026"
        listed = {scope for requirement in described.get("security", []) for scopes in requirement.values() for scope in scopes}
        assert operation.scopes <= listed, operation_id
        assert bool(operation.scopes) == bool(listed), operation_id
        for parameter in described.get("parameters", []):
            assert _resolve(parameter)["name"]  # resolvable


# --- SpotifyApi -------------------------------------------------------------------------------------


def test_a_401_is_retried_once_with_the_token_after_rejection(emulator):
    tokens = HandedTokens("expired-or-revoked", token_of(emulator, "alice"))
    assert asyncio.run(SpotifyApi(tokens).me())["id"] == "alice"
    assert tokens.rejected == ["expired-or-revoked"]
    assert api_requests(emulator) == {"401": 1, "200": 1}


def test_a_second_401_is_reported(emulator):
    tokens = HandedTokens("bad-1", "bad-2", "never-asked-for")
    with pytest.raises(SpotifyRequestRejected) as raised:
        asyncio.run(SpotifyApi(tokens).me())
    assert raised.value.status == 401 and tokens.rejected == ["bad-1"]


def test_a_short_429_is_waited_out_once_and_a_second_one_reported(emulator):
    api = SpotifyApi(HandedTokens(token_of(emulator, "alice")))
    emulator.set_faults(rate_limit_next=1, retry_after=1, rate_limit_scope="api")
    started = time.monotonic()
    assert asyncio.run(api.devices())
    assert time.monotonic() - started >= 1.0
    emulator.set_faults(rate_limit_next=2, retry_after=0)
    with pytest.raises(SpotifyRateLimited):
        asyncio.run(api.devices())


def test_a_long_429_is_reported_without_waiting(emulator):
    api = SpotifyApi(HandedTokens(token_of(emulator, "alice")))
    emulator.set_faults(rate_limit_next=1, retry_after=int(RETRY_AFTER_WAIT_LIMIT_SECONDS) + 25, rate_limit_scope="api")
    started = time.monotonic()
    with pytest.raises(SpotifyRateLimited) as raised:
        asyncio.run(api.devices())
    assert time.monotonic() - started < RETRY_AFTER_WAIT_LIMIT_SECONDS
    assert raised.value.retry_after == RETRY_AFTER_WAIT_LIMIT_SECONDS + 25


def test_spotifys_refusals_keep_their_status_and_reason(emulator):
    carol = SpotifyApi(HandedTokens(token_of(emulator, "carol")))  # Spotify Free
    with pytest.raises(SpotifyRequestRejected) as raised:
        asyncio.run(carol.pause())
    assert (raised.value.status, raised.value.reason) == (403, "PREMIUM_REQUIRED")
    dave = SpotifyApi(HandedTokens(token_of(emulator, "dave")))  # no device
    with pytest.raises(SpotifyRequestRejected) as raised:
        asyncio.run(dave.pause())
    assert (raised.value.status, raised.value.reason) == (404, "NO_ACTIVE_DEVICE")
    with pytest.raises(SpotifyRequestRejected) as raised:
        asyncio.run(dave.track(track_id="Q" * 22))
    assert raised.value.status == 404


def test_5xx_timeouts_and_error_pages_are_unavailable(emulator, settings):
    api = SpotifyApi(HandedTokens(token_of(emulator, "alice")))
    emulator.set_faults(fail_next=1, fail_status=502, fail_scope="api", fail_body="html")
    with pytest.raises(SpotifyUnavailable, match="^Spotify answered HTTP 502$"):
        asyncio.run(api.devices())
    settings.SPOTIFY_HTTP_TIMEOUT_SECONDS = 0.3
    emulator.set_faults(hang_next=1, hang_seconds=2)
    with pytest.raises(SpotifyUnavailable, match="^Spotify's Web API did not answer in time$"):
        asyncio.run(api.devices())


def test_an_argument_beyond_spotifys_limits_sends_nothing(emulator):
    api = SpotifyApi(HandedTokens(token_of(emulator, "alice")))
    with pytest.raises(SpotifyInvalidRequest) as raised:
        asyncio.run(api.search(q="golden", types=["track"], limit=11))
    assert raised.value.status is None and "between 1 and 10" in raised.value.message
    assert api_requests(emulator) == {}


# --- current_user -----------------------------------------------------------------------------------


def test_current_user_is_the_profile_of_the_tokens_account(emulator):
    profile = current_user(access_token=token_of(emulator, "carol"))
    assert profile["id"] == "carol" and profile["product"] == "free"


def test_current_user_with_a_refused_token_is_rejected(emulator):
    with pytest.raises(SpotifyRequestRejected) as raised:
        current_user(access_token="not-a-token")
    assert raised.value.status == 401


def test_current_user_answered_with_a_page_instead_of_json_is_unavailable(emulator):
    token = token_of(emulator, "alice")
    emulator.set_faults(fail_next=1, fail_status=200, fail_scope="api", fail_body="html")
    with pytest.raises(SpotifyUnavailable, match="^Spotify's Web API sent an unreadable answer$"):
        current_user(access_token=token)
