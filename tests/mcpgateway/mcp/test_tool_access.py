"""A tool the caller's gateway scopes (or Spotify grant) do not allow is hidden and refused, by one
rule (mcpgateway.mcp.access.tool_access) with one set of messages."""

import asyncio
from types import SimpleNamespace

import pytest
from django.conf import settings
from mcp_types import ListToolsResult, Tool

from mcpgateway.mcp.access import Allowed, Refusal, ToolAccessMiddleware, ToolRequirement, tool_access
from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.context import SCOPE_PRINCIPAL
from mcpgateway.mcp.server import build_server

pytestmark = [pytest.mark.django_db]

PAUSE = ToolRequirement(frozenset({"spotify:playback"}), frozenset({"user-modify-playback-state"}))


def principal(scopes, kind="pat"):
    return Principal(user_id=1, username="robin", scopes=frozenset(scopes), credential_id=f"{kind}:1", kind=kind, audience=None)


def ctx_for(method, params, scopes):
    return SimpleNamespace(method=method, params=params, request=SimpleNamespace(scope={SCOPE_PRINCIPAL: principal(scopes)}))


def run(middleware, ctx, result):
    async def call_next(_ctx):
        return result

    return asyncio.run(middleware(ctx, call_next))


MIDDLEWARE = ToolAccessMiddleware({"pause": ToolRequirement(frozenset({"spotify:playback"})), "search": ToolRequirement(frozenset({"spotify:read"}))})
LISTING = ListToolsResult(tools=[Tool(name=n, input_schema={"type": "object"}) for n in ("pause", "search", "get_gateway_identity")])


def test_a_tool_needing_a_scope_the_token_lacks_is_not_listed():
    listed = run(MIDDLEWARE, ctx_for("tools/list", {}, {"spotify:read"}), LISTING)
    assert [t.name for t in listed.tools] == ["search", "get_gateway_identity"]


def test_calling_it_anyway_is_a_tool_error_that_says_what_is_missing():
    result = run(MIDDLEWARE, ctx_for("tools/call", {"name": "pause"}, {"spotify:read"}), "not reached")
    assert result.is_error
    assert result.content[0].text == tool_access(principal({"spotify:read"}), None, MIDDLEWARE.requirements["pause"], tool="pause").message


def test_a_token_with_the_scope_sees_and_calls_the_tool():
    listed = run(MIDDLEWARE, ctx_for("tools/list", {}, {"spotify:read", "spotify:playback"}), LISTING)
    called = run(MIDDLEWARE, ctx_for("tools/call", {"name": "pause"}, {"spotify:playback"}), "called")
    assert len(listed.tools) == 3
    assert called == "called"


def test_a_missing_gateway_scope_is_refused_with_what_to_do():
    refusal = tool_access(principal({"spotify:read"}), frozenset(), PAUSE, tool="pause_playback")
    assert isinstance(refusal, Refusal) and refusal.reason == "gateway_scope" and refusal.lacking == {"spotify:playback"}
    assert "spotify:playback" in refusal.message and "pause_playback" in refusal.message
    assert f"Create a token with it at {settings.PUBLIC_BASE_URL}/" in refusal.message
    # An OAuth client steps up instead of creating a token.
    oauth = tool_access(principal({"spotify:read"}, kind="oauth"), None, PAUSE, tool="pause_playback")
    assert oauth.lacking == {"spotify:playback"} and "Create a token" not in oauth.message


def test_spotify_scopes_missing_from_the_grant_refuse_the_tool():
    refusal = tool_access(principal({"spotify:playback"}), frozenset({"user-read-email"}), PAUSE, tool="pause_playback")
    assert isinstance(refusal, Refusal) and refusal.reason == "spotify_scope"
    assert "user-modify-playback-state" in refusal.message and "Reconnect Spotify" in refusal.message
    assert isinstance(tool_access(principal({"spotify:playback"}), frozenset({"user-modify-playback-state"}), PAUSE, tool="p"), Allowed)
    # No grant at all: allowed, and the tool itself tells the person to connect Spotify.
    assert isinstance(tool_access(principal({"spotify:playback"}), None, PAUSE, tool="pause_playback"), Allowed)


def test_build_server_serves_the_identity_tool():
    server = build_server()
    assert "get_gateway_identity" in [t.name for t in asyncio.run(server.list_tools())]
