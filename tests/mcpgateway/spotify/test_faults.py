"""Spotify misbehaving under load, through a real gateway worker: 5xx bursts, timeouts and 429
storms answer tool results with isError that say what happened and when to try again; the worker
keeps serving; and the gateway sends Spotify a bounded number of requests (counted by the
emulator): a Web API write is never resent after a 5xx or a timeout, a 429 is retried at most once
and its Retry-After holds every later request of the worker until it has passed."""

import asyncio
import time

import httpx
import pytest

from tests.conftest import make_grant, make_personal_access_token
from tests.mcpgateway.mcp.conftest import MODERN_META, POST_HEADERS, bearer, reply_of, rpc
from tests.support.emulator import refresh_requests

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CALLERS = 20


@pytest.fixture
def gateway(emulator, start_gateway):
    # A short timeout, so a hung Spotify costs the test a second, not ten.
    return start_gateway(SPOTIFY_HTTP_TIMEOUT_SECONDS="1", SPOTIFY_MAX_RETRY_AFTER_SECONDS="2")


@pytest.fixture
def token(emulator, person):
    make_grant(emulator, person, spotify_user_id="alice")
    return make_personal_access_token(person)


def call_tool(http: httpx.AsyncClient, base: str, token: str, name: str, arguments: dict | None = None):
    params = {"name": name, "arguments": arguments or {}, "_meta": MODERN_META}
    headers = {**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN_META["io.modelcontextprotocol/protocolVersion"],
               "Mcp-Method": "tools/call", "Mcp-Name": name}
    return http.post(f"{base}/mcp", json=rpc("tools/call", params), headers=headers)


def results(base: str, token: str, name: str, arguments: dict | None = None, *, callers: int = CALLERS) -> list[dict]:
    """`callers` concurrent calls of one tool; each call's JSON-RPC result (a protocol error fails the test)."""

    async def run():
        async with httpx.AsyncClient(timeout=30) as http:
            return await asyncio.gather(*[call_tool(http, base, token, name, arguments) for _ in range(callers)])

    replies = []
    for response in asyncio.run(run()):
        assert response.status_code == 200, response.text
        reply = reply_of(response)
        assert "result" in reply, reply
        replies.append(reply["result"])
    return replies


def text(result: dict) -> str:
    return " ".join(block.get("text", "") for block in result["content"])


def api_requests(emulator) -> int:
    return emulator.stats()["api_requests"]["total"]


def still_serves(base: str, token: str, emulator) -> None:
    """The worker is alive and Spotify, healthy again, is used again."""
    emulator.clear_faults()
    [result] = results(base, token, "get_my_profile", callers=1)
    assert not result.get("isError"), text(result)


def test_a_burst_of_5xx_answers_each_call_once_without_resending_writes(gateway, token, emulator):
    emulator.set_faults(fail_next=1000, fail_status=502, fail_scope="api")

    replies = results(gateway, token, "add_to_queue", {"uri": "spotify:track:" + "1" * 22})

    for result in replies:
        assert result["isError"] and "Spotify is not answering properly" in text(result) and "try again in a minute" in text(result)
    # One request per call: a write whose answer was a 5xx may have been applied; sending it again could queue it twice.
    assert api_requests(emulator) == CALLERS
    still_serves(gateway, token, emulator)


def test_a_timeout_answers_each_call_once(gateway, token, emulator):
    emulator.set_faults(hang_next=1000, hang_seconds=3, hang_scope="api")

    started = time.monotonic()
    replies = results(gateway, token, "get_playback_state")

    assert time.monotonic() - started < 10  # 1 s timeouts, side by side
    for result in replies:
        assert result["isError"] and "did not answer in time" in text(result) and "try again in a minute" in text(result)
    assert emulator.stats()["faults_injected"]["hung"] == CALLERS  # no call was resent
    still_serves(gateway, token, emulator)
    # The emulator finishes the abandoned requests after their hang: not in the next test's counts.
    deadline = time.monotonic() + 30
    while api_requests(emulator) < CALLERS + 1 and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_429_storm_is_honoured_until_retry_after_passes(gateway, token, emulator):
    emulator.set_faults(rate_limit_next=1000, retry_after=30, rate_limit_scope="api")

    sent_before = api_requests(emulator)

    [first] = results(gateway, token, "get_my_profile", callers=1)
    assert first["isError"] and "Try again in 31 seconds" in text(first)
    assert api_requests(emulator) - sent_before == 1

    replies = results(gateway, token, "get_my_profile")

    for result in replies:
        assert result["isError"] and "limiting how often" in text(result) and "Try again in" in text(result)
    # Retry-After: 30 said not to ask before then; the worker holds every call instead of asking again.
    assert api_requests(emulator) - sent_before == 1
    still_serves_after_reset(gateway, token, emulator)


def still_serves_after_reset(base: str, token: str, emulator) -> None:
    """A Retry-After the worker is still honouring makes it answer without asking Spotify; the
    worker stays up (the test does not wait 30 s for the hold to pass)."""
    emulator.clear_faults()
    [result] = results(base, token, "get_my_profile", callers=1)
    assert result["isError"] and "Try again in" in text(result)


def test_a_short_429_is_waited_out_once_per_call(gateway, token, emulator):
    emulator.set_faults(rate_limit_next=1000, retry_after=1, rate_limit_scope="api")

    started = time.monotonic()
    replies = results(gateway, token, "get_devices")

    assert time.monotonic() - started < 10
    for result in replies:
        assert result["isError"] and "limiting how often" in text(result)
    assert api_requests(emulator) <= 2 * CALLERS  # at most one retry each
    still_serves(gateway, token, emulator)


def test_a_429_storm_on_token_refresh_asks_spotify_once(gateway, emulator, person):
    make_grant(emulator, person, spotify_user_id="alice", expires_in=0)  # every call must refresh first
    token = make_personal_access_token(person)
    emulator.set_faults(rate_limit_next=1000, retry_after=30, rate_limit_scope="token")

    replies = results(gateway, token, "get_my_profile")

    for result in replies:
        assert result["isError"] and "could not renew your Spotify access" in text(result), text(result)
    # Single-flight: one token request for all the callers, and its Retry-After (past the wait
    # limit) is not waited out on anyone's call.
    assert refresh_requests(emulator) == {"rate_limited": 1}
    assert api_requests(emulator) == 0


def test_a_5xx_burst_on_token_refresh_is_retried_a_bounded_number_of_times(gateway, emulator, person, settings):
    make_grant(emulator, person, spotify_user_id="alice", expires_in=0)
    token = make_personal_access_token(person)
    emulator.set_faults(fail_next=1000, fail_status=503, fail_scope="token")

    replies = results(gateway, token, "get_my_profile")

    for result in replies:
        assert result["isError"] and "could not renew your Spotify access" in text(result), text(result)
    assert refresh_requests(emulator) == {"server_error_503": settings.SPOTIFY_REFRESH_MAX_ATTEMPTS}
