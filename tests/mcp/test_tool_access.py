"""A tool the caller's gateway scopes (or Spotify grant) do not allow is hidden and refused."""

import asyncio
from types import SimpleNamespace

import pytest
from mcp_types import ListToolsResult, Tool

from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.context import SCOPE_PRINCIPAL
from mcpgateway.mcp.server import ToolAccess, ToolAccessMiddleware, ToolRequirement, build_server

pytestmark = [pytest.mark.django_db]


def ctx_for(method, params, scopes):
    principal = Principal(user_id=1, username="robin", scopes=frozenset(scopes), credential_id="pat:1", kind="pat", audience=None)
    return SimpleNamespace(method=method, params=params, request=SimpleNamespace(scope={SCOPE_PRINCIPAL: principal}))


def run(middleware, ctx, result):
    async def call_next(_ctx):
        return result

    return asyncio.run(middleware(ctx, call_next))


ACCESS = ToolAccess({"pause": ToolRequirement(frozenset({"spotify:playback"})), "search": ToolRequirement(frozenset({"spotify:read"}))})
LISTING = ListToolsResult(tools=[Tool(name=n, input_schema={"type": "object"}) for n in ("pause", "search", "get_gateway_identity")])


def test_a_tool_needing_a_scope_the_token_lacks_is_not_listed():
    listed = run(ToolAccessMiddleware(ACCESS), ctx_for("tools/list", {}, {"spotify:read"}), LISTING)
    assert [t.name for t in listed.tools] == ["search", "get_gateway_identity"]


def test_calling_it_anyway_is_a_tool_error_that_says_what_is_missing():
    result = run(ToolAccessMiddleware(ACCESS), ctx_for("tools/call", {"name": "pause"}, {"spotify:read"}), "not reached")
    assert result.is_error
    assert "spotify:playback" in result.content[0].text


def test_a_token_with_the_scope_sees_and_calls_the_tool():
    listed = run(ToolAccessMiddleware(ACCESS), ctx_for("tools/list", {}, {"spotify:read", "spotify:playback"}), LISTING)
    called = run(ToolAccessMiddleware(ACCESS), ctx_for("tools/call", {"name": "pause"}, {"spotify:playback"}), "called")
    assert len(listed.tools) == 3
    assert called == "called"


def test_spotify_scopes_missing_from_the_grant_hide_the_tool():
    access = ToolAccess({"pause": ToolRequirement(frozenset(), frozenset({"user-modify-playback-state"}))})
    assert access.missing("pause", gateway_scopes=frozenset(), spotify_scopes=frozenset({"user-read-email"}))
    assert access.missing("pause", gateway_scopes=frozenset(), spotify_scopes=frozenset({"user-modify-playback-state"})) is None
    # No grant at all: listed, and the tool itself tells the person to connect Spotify.
    assert access.missing("pause", gateway_scopes=frozenset(), spotify_scopes=None) is None


def test_build_server_serves_the_identity_tool():
    server = build_server()
    assert "get_gateway_identity" in [t.name for t in asyncio.run(server.list_tools())]
