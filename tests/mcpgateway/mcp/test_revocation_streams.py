"""A revocation ends the credential's /mcp requests in flight (a slow tool call answered as SSE) at
once, on the worker that revoked and, through the channel layer (Redis), on every other; the next
request is refused. Without the broadcast, the revocation epoch ends the stream at its next event;
with Redis down, the database still refuses the next request."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import PersonalAccessToken
from mcpgateway.mcp.streams import REVOKED_MESSAGE, SPOTIFY_DISCONNECTED_MESSAGE
from tests.conftest import make_grant, make_personal_access_token
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, MODERN_META, POST_HEADERS, bearer, initialize_params, rpc
from tests.support.processes import free_port

pytestmark = [pytest.mark.django_db(transaction=True)]

SLOW_API_MS = 4000
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="workers reach each other through Redis only")


def slow_call_request(token: str) -> dict:
    params = {"name": "get_currently_playing", "arguments": {}, "_meta": MODERN_META}
    headers = {**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call",
               "Mcp-Name": "get_currently_playing"}
    return {"json": rpc("tools/call", params, id=7), "headers": headers}


def signed_in_cookies(user) -> dict[str, str]:
    """A session of `user` and a CSRF secret, as a browser that signed in on the dashboard holds them."""
    browser = Client()
    browser.force_login(user)
    return {"sessionid": browser.cookies["sessionid"].value, "csrftoken": secrets.token_hex(16)}


def dashboard_revoke(base: str, user, token_name: str):
    """The dashboard's Revoke button of a token, on worker `base`, as a coroutine function that
    returns the moment its response arrived."""
    path = reverse("token_revoke", args=[PersonalAccessToken.objects.get(user=user, name=token_name).pk])
    cookies = signed_in_cookies(user)

    async def revoke() -> float:
        async with httpx.AsyncClient(cookies=cookies) as http:
            response = await http.post(f"{base}{path}", data={"csrfmiddlewaretoken": cookies["csrftoken"]})
        done = time.monotonic()
        assert response.status_code == 302, response.text
        return done

    return revoke


async def open_slow_call(base: str, token: str) -> tuple[int, str, float]:
    async with httpx.AsyncClient(timeout=30) as http:
        async with http.stream("POST", f"{base}/mcp", **slow_call_request(token)) as response:
            body = (await response.aread()).decode()
    return response.status_code, body, time.monotonic()


def revoked_while_in_flight(stream_base: str, revoke) -> tuple[int, str, float]:
    """Open a slow tool call on `stream_base`, revoke with `revoke()` (a coroutine function returning
    when its response arrived) while it is in flight; the call's status, body and the seconds from
    the revocation's response to the call's end."""

    async def scenario():
        call = asyncio.create_task(open_slow_call(stream_base, TOKEN[0]))
        await asyncio.sleep(1.0)  # the call is waiting for Spotify now
        assert not call.done()
        revoked_at = await revoke()
        status, body, ended_at = await call
        return status, body, ended_at - revoked_at

    return asyncio.run(scenario())


TOKEN: list[str] = []


@pytest.fixture
def slow_spotify(emulator, person):
    make_grant(emulator, person)
    TOKEN[:] = [make_personal_access_token(person, name="slow client")]
    emulator.set_faults(api_latency_ms=SLOW_API_MS)
    yield TOKEN[0]
    TOKEN.clear()


def assert_refused_as_revoked(status: int, body: str) -> None:
    # Nothing of the reply was sent yet: the call is answered 401, as its next request would be.
    assert status == 401 and "Authentication required" in body or REVOKED_MESSAGE in body, (status, body)
    assert "result" not in body


def next_request_status(base: str, token: str) -> int:
    return httpx.post(f"{base}/mcp", **slow_call_request(token)).status_code


def test_a_revocation_on_the_same_worker_ends_its_open_call_at_once(slow_spotify, start_gateway, person):
    gateway = start_gateway()
    status, body, latency = revoked_while_in_flight(gateway, dashboard_revoke(gateway, person, "slow client"))
    assert_refused_as_revoked(status, body)
    assert latency < 1.0
    assert next_request_status(gateway, slow_spotify) == 401


def test_disconnecting_spotify_ends_the_persons_open_calls(slow_spotify, start_gateway, person):
    """The call in flight acts with the grant the person just withdrew: it ends too (by person,
    whatever its credential)."""
    gateway = start_gateway()
    cookies = signed_in_cookies(person)

    async def disconnect() -> float:
        async with httpx.AsyncClient(cookies=cookies) as http:
            response = await http.post(f"{gateway}{reverse('spotify_disconnect')}", data={"csrfmiddlewaretoken": cookies["csrftoken"]})
        assert response.status_code == 302, response.text
        return time.monotonic()

    status, body, latency = revoked_while_in_flight(gateway, disconnect)
    # The token is still good (no 401, which would send the client to sign in again).
    assert status == 200 and json.loads(body) == {
        "jsonrpc": "2.0", "id": 7, "error": {"code": -32000, "message": SPOTIFY_DISCONNECTED_MESSAGE}}
    assert latency < 1.0
    assert next_request_status(gateway, slow_spotify) == 200


@needs_redis
def test_a_revocation_on_one_worker_ends_an_open_call_on_another(slow_spotify, start_gateway, person):
    first = start_gateway()
    second = start_gateway(PUBLIC_BASE_URL=first)
    status, body, latency = revoked_while_in_flight(second, dashboard_revoke(first, person, "slow client"))
    assert_refused_as_revoked(status, body)
    assert latency < 1.0
    assert next_request_status(second, slow_spotify) == 401
    assert next_request_status(first, slow_spotify) == 401


def test_without_the_broadcast_the_epoch_ends_the_call_at_its_next_event(slow_spotify, start_gateway, person, monkeypatch):
    """The revocation is made here, in the test process, and its announcement is dropped: only the
    revocation epoch (shared by file or Redis) reaches the worker."""
    from mcpgateway.core import credentials, revocation

    monkeypatch.setattr(revocation, "announce_revocation", lambda message: None)
    gateway = start_gateway()

    async def revoke_here():
        token = await PersonalAccessToken.objects.aget(user=person, name="slow client")
        from asgiref.sync import sync_to_async

        await sync_to_async(credentials.credential_revoke)(credential_id=token.credential_id)
        return time.monotonic()

    status, body, latency = revoked_while_in_flight(gateway, revoke_here)
    assert_refused_as_revoked(status, body)
    # It ends when Spotify answers (the tool's next event), not at once, and never with the result.
    assert latency < SLOW_API_MS / 1000 + 1
    assert next_request_status(gateway, slow_spotify) == 401


def test_with_redis_down_the_database_refuses_the_next_request(start_gateway, person, emulator):
    """Redis holds the epoch and carries the broadcast; unreachable, neither the revocation nor the
    requests fail: every request reads the database, which knows the credential is revoked."""
    make_personal_access_token(person, name="untouched")
    untouched = PersonalAccessToken.objects.get(user=person, name="untouched")
    plaintext = make_personal_access_token(person, name="other")
    gateway = start_gateway(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    listed = httpx.post(f"{gateway}/mcp", **list_request(plaintext))
    assert listed.status_code == 200, listed.text
    revoke = dashboard_revoke(gateway, person, "other")
    asyncio.run(revoke())
    assert httpx.post(f"{gateway}/mcp", **list_request(plaintext)).status_code == 401
    untouched.refresh_from_db()
    assert untouched.revoked_at is None and PersonalAccessToken.objects.get(user=person, name="other").revoked_at is not None


def list_request(token: str) -> dict:
    headers = {**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"}
    return {"json": rpc("tools/list", {"_meta": MODERN_META}, id=1), "headers": headers}


# --- A stream already under way (progress events sent), ended by a last JSON-RPC error event ---


def progress_request(base: str, token: str, version: str) -> dict:
    """A 20-step tool of the test endpoint (/mcp-conformance): a progress event every 0.5 s."""
    headers = {**POST_HEADERS, **bearer(token)}
    body = rpc("tools/call", {"name": "test_slow_progress", "arguments": {"steps": 20, "delay": 0.5},
                              "_meta": {"progressToken": "p1"}}, id=9)
    if version == LEGACY:
        init = httpx.post(f"{base}/mcp-conformance", json=rpc("initialize", initialize_params()), headers=headers)
        assert init.status_code == 200, init.text
        headers.update({"MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": init.headers["mcp-session-id"]})
    else:
        headers.update({"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": "test_slow_progress"})
        body["params"]["_meta"].update(MODERN_META)
    return {"json": body, "headers": headers}


def revoked_mid_stream(stream_base: str, request: dict, revoke) -> tuple[list[str], float]:
    """The SSE data lines of a stream revoked after its first progress event, and the seconds from
    the revocation's response to the stream's end."""

    async def scenario():
        lines: list[str] = []
        async with httpx.AsyncClient(timeout=30) as http:
            async with http.stream("POST", f"{stream_base}/mcp-conformance", **request) as response:
                assert response.status_code == 200
                revoked_at = None
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        lines.append(line)
                        if revoked_at is None and "notifications/progress" in line:
                            revoked_at = await revoke()
                ended_at = time.monotonic()
        return lines, ended_at - revoked_at

    return asyncio.run(scenario())


def assert_ended_by_revocation(lines: list[str]) -> None:
    last = json.loads(lines[-1][5:])
    assert last == {"jsonrpc": "2.0", "id": 9, "error": {"code": -32000, "message": REVOKED_MESSAGE}}, lines
    assert not any('"result"' in line for line in lines), lines
    assert sum("notifications/progress" in line for line in lines) < 20


@pytest.mark.parametrize("version", [LEGACY, MODERN])
def test_a_revocation_ends_a_stream_under_way_on_the_same_worker(start_gateway, person, version):
    gateway = start_gateway()
    token = make_personal_access_token(person, name="streaming client")
    lines, latency = revoked_mid_stream(gateway, progress_request(gateway, token, version),
                                        dashboard_revoke(gateway, person, "streaming client"))
    assert_ended_by_revocation(lines)
    assert latency < 0.45  # before the next progress event: the broadcast, not the epoch check


@needs_redis
def test_a_revocation_ends_a_stream_under_way_on_another_worker(start_gateway, person):
    first = start_gateway()
    second = start_gateway(PUBLIC_BASE_URL=first)
    token = make_personal_access_token(person, name="streaming client")
    lines, latency = revoked_mid_stream(second, progress_request(second, token, MODERN),
                                        dashboard_revoke(first, person, "streaming client"))
    assert_ended_by_revocation(lines)
    assert latency < 0.45


def test_without_the_broadcast_a_stream_under_way_ends_at_its_next_event(start_gateway, person, monkeypatch):
    from asgiref.sync import sync_to_async

    from mcpgateway.core import credentials, revocation

    monkeypatch.setattr(revocation, "announce_revocation", lambda message: None)
    gateway = start_gateway()
    token = make_personal_access_token(person, name="streaming client")
    credential_id = PersonalAccessToken.objects.get(user=person, name="streaming client").credential_id

    async def revoke_here():
        await sync_to_async(credentials.credential_revoke)(credential_id=credential_id)
        return time.monotonic()

    lines, latency = revoked_mid_stream(gateway, progress_request(gateway, token, MODERN), revoke_here)
    assert_ended_by_revocation(lines)
    assert latency < 1.0  # the next progress event, 0.5 s apart


@needs_redis
def test_deactivating_a_person_elsewhere_ends_their_open_call(slow_spotify, start_gateway, person):
    """Deactivation (here, in this process: another machine as far as the worker knows) revokes
    every credential of the person, announced through Redis to the worker holding the call."""
    from asgiref.sync import sync_to_async

    gateway = start_gateway()

    def deactivate():
        person.is_active = False
        person.save()

    async def revoke_here():
        await sync_to_async(deactivate)()
        return time.monotonic()

    status, body, latency = revoked_while_in_flight(gateway, revoke_here)
    assert_refused_as_revoked(status, body)
    assert latency < 1.0
    assert next_request_status(gateway, slow_spotify) == 401
