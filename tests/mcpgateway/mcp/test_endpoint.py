"""/mcp end to end: the SDK's own Client over real HTTP against uvicorn, in both protocol eras."""

import asyncio
import time

import httpx
import pytest

from mcpgateway.mcp.models import McpSession
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, POST_HEADERS, bearer, mcp_client, rpc

pytestmark = [pytest.mark.django_db(transaction=True)]


def identity_through_client(base: str, token: str, mode: str) -> tuple[str, list[str], dict]:
    async def run():
        async with mcp_client(f"{base}/mcp", token, mode=mode) as client:
            tools = await client.list_tools()
            result = await client.call_tool("get_gateway_identity", {})
            assert not result.is_error, result
            return client.protocol_version, [t.name for t in tools.tools], result.structured_content

    return asyncio.run(run())


def test_a_2025_11_25_client_lists_and_calls_tools_in_a_gateway_session(gateway, token, person):
    version, tools, identity = identity_through_client(gateway, token, "legacy")

    assert version == LEGACY
    assert "get_gateway_identity" in tools
    assert identity["username"] == "robin"
    assert identity["credential"] == "personal access token"
    session = McpSession.objects.get(pk=identity["session_id"])
    assert session.kind == McpSession.Kind.SESSION
    assert session.user == person
    assert session.protocol_version == LEGACY
    assert session.client_name == "mcp"  # the SDK client's default clientInfo
    assert session.ip_address == "127.0.0.1"
    assert session.user_agent
    assert session.last_seen_at is not None
    # The client's DELETE on exit ended the session.
    assert session.ended_at is not None


def test_a_2026_07_28_client_lists_and_calls_tools_as_one_authorized_connection(gateway, token, person):
    version, tools, identity = identity_through_client(gateway, token, MODERN)
    _, _, again = identity_through_client(gateway, token, MODERN)

    assert version == MODERN
    assert "get_gateway_identity" in tools
    assert identity["username"] == "robin"
    # One row per credential and client, however many requests and connections.
    assert again["session_id"] == identity["session_id"]
    connection = McpSession.objects.get(pk=identity["session_id"])
    assert connection.kind == McpSession.Kind.CONNECTION
    assert connection.user == person
    assert connection.protocol_version == MODERN
    assert connection.credential_id.startswith("pat:")
    assert McpSession.objects.filter(kind=McpSession.Kind.CONNECTION).count() == 1


def test_the_default_client_negotiates_the_modern_era(gateway, token):
    version, _, _ = identity_through_client(gateway, token, "auto")
    assert version == MODERN


GATEWAY_SCOPES = "spotify:library spotify:playback spotify:playlists spotify:read"


def test_without_a_token_the_client_is_told_where_to_authenticate_and_what_to_ask_for(gateway):
    response = httpx.post(f"{gateway}/mcp", json=rpc("initialize", {}, id=7), headers=POST_HEADERS)

    assert response.status_code == 401
    # MCP authorization spec, "Protected Resource Metadata Discovery Requirements": the challenge
    # SHOULD name the scopes the client should request (RFC 6750 §3), next to the metadata URL.
    assert response.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{gateway}/.well-known/oauth-protected-resource/mcp", scope="{GATEWAY_SCOPES}"'
    )
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "jsonrpc": "2.0",
        "error": {"code": -32000, "message": "Authentication required", "data": {"authUrl": f"{gateway}/"}},
        "id": 7,  # JSON-RPC 2.0 §5: the id of the request answered
    }


@pytest.mark.parametrize(("body", "request_id"), [
    (b'{"jsonrpc":"2.0","id":"abc","method":"tools/list"}', "abc"),
    (b'{"jsonrpc":"2.0","method":"notifications/initialized"}', None),
    (b'{"jsonrpc":"2.0","id":{"not":"an id"},"method":"tools/list"}', None),
    (b'{"jsonrpc": "2.0", "id": 3, "method":', None),  # does not parse: null (JSON-RPC 2.0 §5)
])
def test_the_401_echoes_the_request_id_when_there_is_one(gateway, body, request_id):
    response = httpx.post(f"{gateway}/mcp", content=body, headers=POST_HEADERS)
    assert response.status_code == 401
    assert response.json()["id"] == request_id


@pytest.mark.parametrize("authorization", ["Bearer smgp_not-a-real-token", "Basic cm9iaW46cGFzcw==", "Bearer"])
@pytest.mark.parametrize("version", [LEGACY, MODERN])
def test_a_bad_token_is_401_in_both_eras(gateway, authorization, version):
    response = httpx.post(f"{gateway}/mcp", json=rpc("tools/list", {}),
                          headers={**POST_HEADERS, "Authorization": authorization, "MCP-Protocol-Version": version})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == -32000
    assert "resource_metadata=" in response.headers["www-authenticate"]


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])
def test_protected_resource_metadata_names_the_gateway(gateway, path):
    response = httpx.get(f"{gateway}{path}")

    assert response.status_code == 200
    document = response.json()
    assert document["resource"] == f"{gateway}/mcp"
    assert document["authorization_servers"] == [gateway]
    assert set(document["scopes_supported"]) == {"spotify:read", "spotify:playback", "spotify:library", "spotify:playlists"}
    assert document["bearer_methods_supported"] == ["header"]


@pytest.mark.parametrize("version", [LEGACY, MODERN])
def test_progress_streams_over_sse_as_it_happens(gateway, token, version):
    """The bridge must not buffer an SSE reply: each progress event arrives when it is sent."""
    headers = {**POST_HEADERS, **bearer(token)}
    body = rpc("tools/call", {"name": "test_slow_progress", "arguments": {"steps": 3, "delay": 0.5},
                              "_meta": {"progressToken": "p1"}})
    url = f"{gateway}/mcp-conformance"
    if version == LEGACY:
        init = httpx.post(url, json=rpc("initialize", {"protocolVersion": LEGACY, "capabilities": {},
                                                        "clientInfo": {"name": "t", "version": "1"}}), headers=headers)
        assert init.status_code == 200, init.text
        headers.update({"MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": init.headers["mcp-session-id"]})
    else:
        headers.update({"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": "test_slow_progress"})
        body["params"]["_meta"].update({
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        })
    arrivals = []
    started = time.monotonic()
    with httpx.stream("POST", url, json=body, headers=headers, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data:"):
                arrivals.append((time.monotonic() - started, line))
    progress = [t for t, line in arrivals if "notifications/progress" in line]
    assert len(progress) == 3, arrivals
    # Sent at about 0, 0.5 and 1.0 s, the reply at 1.5 s: they must not all arrive at the end.
    assert progress[0] < 0.4, arrivals
    assert arrivals[-1][0] - progress[0] > 1.0, arrivals


def test_a_token_with_only_the_api_scope_is_refused_at_mcp_and_leaves_no_client(gateway, person):
    from tests.conftest import make_personal_access_token

    api_only = make_personal_access_token(person, name="REST script", scopes={"api"})
    for headers in ({"Mcp-Method": "tools/list"}, {}):
        response = httpx.post(f"{gateway}/mcp", json=rpc("tools/list", {}), headers={**POST_HEADERS, **bearer(api_only), **headers})
        assert response.status_code == 403
        assert "REST API only" in response.json()["error"]["message"]
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    response = httpx.post(f"{gateway}/mcp", json=rpc("initialize", {"protocolVersion": LEGACY, "capabilities": {},
                                                                    "clientInfo": {"name": "x", "version": "1"}}),
                          headers={**POST_HEADERS, **bearer(api_only)})
    assert response.status_code == 403
    assert not McpSession.objects.filter(user=person).exists()
