"""Sessions belong to the gateway: any worker serves them, and revoking or ending one bites at the
client's next request on every worker."""

import asyncio
import uuid

import httpx
import pytest
from django.conf import settings

from accounts.models import PersonalAccessToken
from mcpgateway.core.credentials import sessions_revoke
from mcpgateway.mcp.models import McpSession
from tests.conftest import make_personal_access_token
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, POST_HEADERS, bearer, legacy_call, legacy_session, mcp_client, reply_of

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_session_opened_on_one_worker_is_served_by_another(gateway_workers, token):
    first, second = gateway_workers
    session_id = legacy_session(first, token)

    listed = legacy_call(second, token, session_id, "tools/list", {})
    called = legacy_call(second, token, session_id, "tools/call", {"name": "get_gateway_identity", "arguments": {}})

    assert listed.status_code == 200, listed.text
    assert "get_gateway_identity" in [t["name"] for t in reply_of(listed)["result"]["tools"]]
    assert called.status_code == 200, called.text
    identity = reply_of(called)["result"]["structuredContent"]
    assert identity["username"] == "robin"
    assert identity["session_id"].replace("-", "") == session_id


def test_the_session_is_bound_to_its_user(gateway_workers, token, django_user_model):
    first, second = gateway_workers
    session_id = legacy_session(first, token)
    stranger = django_user_model.objects.create_user(username="sam", password="another long password")
    stranger_token = make_personal_access_token(stranger)

    for base in (first, second):
        response = legacy_call(base, stranger_token, session_id, "tools/list", {})
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "Session not found"
    # The owner still can.
    assert legacy_call(second, token, session_id, "tools/list", {}).status_code == 200


@pytest.mark.parametrize("session_id", ["00000000000000000000000000000000", "not-a-session", "x" * 300])
def test_an_unknown_session_is_404(gateway, token, session_id):
    response = legacy_call(gateway, token, session_id, "tools/list", {})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_delete_ends_the_session_on_every_worker(gateway_workers, token):
    first, second = gateway_workers
    session_id = legacy_session(first, token)
    assert legacy_call(second, token, session_id, "tools/list", {}).status_code == 200  # cached on the second

    ended = httpx.delete(f"{first}/mcp", headers={**bearer(token), "Mcp-Session-Id": session_id, "MCP-Protocol-Version": LEGACY})

    assert ended.status_code == 200
    for base in (first, second):
        assert legacy_call(base, token, session_id, "tools/list", {}).status_code == 404
    assert McpSession.objects.get(pk=session_id).ended_at is not None


def test_a_revoked_2025_11_25_session_is_refused_at_the_next_request_on_every_worker(gateway_workers, token, django_user_model):
    first, second = gateway_workers
    session_id = legacy_session(first, token)
    for base in (first, second):  # both workers have it cached now
        assert legacy_call(base, token, session_id, "tools/list", {}).status_code == 200
    admin = django_user_model.objects.create_superuser(username="admin", password="an admin password 123")

    assert sessions_revoke(sessions=McpSession.objects.filter(pk=session_id), revoked_by=admin) == 1

    for base in (first, second):
        # Revoking the session revoked its token: 401 (the token) comes before 404 (the session).
        assert legacy_call(base, token, session_id, "tools/list", {}).status_code == 401


def test_a_revoked_2026_07_28_connection_is_401_at_the_next_request_on_every_worker(gateway_workers, token, django_user_model):
    first, second = gateway_workers

    async def identity(base: str):
        async with mcp_client(f"{base}/mcp", token, mode=MODERN) as client:
            return (await client.call_tool("get_gateway_identity", {})).structured_content

    connection_id = asyncio.run(identity(first))["session_id"]
    assert asyncio.run(identity(second))["session_id"] == connection_id
    admin = django_user_model.objects.create_superuser(username="admin", password="an admin password 123")

    sessions_revoke(sessions=McpSession.objects.filter(pk=connection_id), revoked_by=admin)

    for base in (first, second):
        response = modern_call(base, token, client_name="mcp")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == -32000
        assert response.json()["id"] == 1  # echoed from the request
        assert 'scope="spotify:library spotify:playback spotify:playlists spotify:read"' in response.headers["www-authenticate"]


def test_a_request_without_a_session_id_is_400_unless_it_initializes(gateway, token):
    response = httpx.post(f"{gateway}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers={**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": LEGACY})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32600


def test_there_is_no_get_stream_in_either_era(gateway, token):
    session_id = legacy_session(gateway, token)
    legacy = httpx.get(f"{gateway}/mcp", headers={**bearer(token), "Accept": "text/event-stream",
                                                  "Mcp-Session-Id": session_id, "MCP-Protocol-Version": LEGACY})
    modern = httpx.get(f"{gateway}/mcp", headers={**bearer(token), "Accept": "text/event-stream", "MCP-Protocol-Version": MODERN})
    modern_delete = httpx.delete(f"{gateway}/mcp", headers={**bearer(token), "MCP-Protocol-Version": MODERN})

    assert legacy.status_code == 405
    assert "content-type" not in legacy.headers
    assert modern.status_code == 405
    assert modern_delete.status_code == 405


def test_last_seen_is_written_at_most_once_a_minute(gateway, token):
    session_id = legacy_session(gateway, token)
    first_seen = McpSession.objects.get(pk=session_id).last_seen_at
    for _ in range(3):
        assert legacy_call(gateway, token, session_id, "tools/list", {}).status_code == 200
    assert McpSession.objects.get(pk=session_id).last_seen_at == first_seen


def modern_call(base: str, token: str, *, client_name: str) -> httpx.Response:
    """A raw 2026-07-28 `tools/list` naming its client (one connection row per credential and name)."""
    return httpx.post(
        f"{base}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": client_name, "version": "0"},
        }}},
        headers={**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"},
    )


def test_one_token_keeps_at_most_the_cap_of_live_sessions_the_oldest_ended_and_the_token_working(gateway, token, person):
    cap = settings.MCP_MAX_LIVE_SESSIONS_PER_CREDENTIAL  # the workers run with the default, as here
    assert cap == 50

    opened = [legacy_session(gateway, token, name=f"flood {index}") for index in range(60)]

    credential_id = McpSession.objects.get(pk=opened[0]).credential_id
    live = McpSession.objects.filter(credential_id=credential_id, ended_at__isnull=True, revoked_at__isnull=True)
    assert live.count() == cap
    oldest, newest = opened[:10], opened[10:]
    assert set(McpSession.objects.filter(credential_id=credential_id, ended_at__isnull=False).values_list("pk", flat=True)) == {
        uuid.UUID(session_id) for session_id in oldest
    }
    assert not McpSession.objects.filter(credential_id=credential_id, revoked_at__isnull=False).exists()
    # Ended like a client's DELETE: 404 for those; the newest sessions and the token go on working.
    assert legacy_call(gateway, token, oldest[0], "tools/list", {}).status_code == 404
    assert legacy_call(gateway, token, newest[-1], "tools/list", {}).status_code == 200
    assert legacy_call(gateway, token, legacy_session(gateway, token), "tools/list", {}).status_code == 200
    assert PersonalAccessToken.objects.get(user=person).revoked_at is None


def test_a_2026_07_28_client_whose_connection_the_cap_ended_gets_a_new_one(gateway, token):
    cap = settings.MCP_MAX_LIVE_SESSIONS_PER_CREDENTIAL
    assert modern_call(gateway, token, client_name="first").status_code == 200
    first_row = McpSession.objects.get(kind=McpSession.Kind.CONNECTION, client_name="first")

    for index in range(cap):
        assert legacy_session(gateway, token, name=f"later {index}")

    first_row.refresh_from_db()
    assert first_row.ended_at is not None and first_row.revoked_at is None
    # The token still works for that client: the ended row is history, a live one replaces it.
    assert modern_call(gateway, token, client_name="first").status_code == 200
    again = McpSession.objects.get(kind=McpSession.Kind.CONNECTION, client_name="first", ended_at__isnull=True)
    assert again.pk != first_row.pk
    assert McpSession.objects.filter(credential_id=first_row.credential_id, ended_at__isnull=True).count() == cap
