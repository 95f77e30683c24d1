"""What each tool needs, what the server lets a caller see accordingly, and the Web API operations
behind it."""

import asyncio

import pytest
from mcp.server.mcpserver import MCPServer

from mcpgateway.core.scopes import ALL_SCOPES, SCOPE_API, SCOPE_PLAYBACK, SCOPE_READ
from mcpgateway.mcp.access import Allowed, Refusal, tool_access
from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.tools import TOOL_REQUIREMENTS, TOOLS, register_tools
from mcpgateway.spotify.accounts import SPOTIFY_SCOPES
from mcpgateway.spotify.webapi import OPERATIONS

ISSUE_TOOLS = {
    "search", "get_track", "get_album", "get_artist", "get_playlist", "get_album_tracks", "get_artist_albums",
    "get_my_profile", "get_playback_state", "get_currently_playing", "start_playback", "pause_playback",
    "skip_to_next", "skip_to_previous", "seek_to_position", "set_volume", "set_shuffle", "set_repeat_mode",
    "get_devices", "transfer_playback", "get_queue", "add_to_queue", "get_recently_played", "get_top_artists",
    "get_top_tracks", "list_my_playlists", "get_playlist_items", "create_playlist", "update_playlist_details",
    "add_playlist_items", "remove_playlist_items", "reorder_playlist_items", "get_saved_tracks", "get_saved_albums",
    "save_to_library", "remove_from_library", "check_library", "get_followed_artists",
}


def _listed():
    server = MCPServer("t")
    register_tools(server)
    return server, {t.name: t for t in asyncio.run(server.list_tools())}


def test_every_capability_of_the_issue_is_a_tool():
    _, tools = _listed()
    assert set(tools) == ISSUE_TOOLS == set(TOOL_REQUIREMENTS)


def test_every_tool_is_typed_described_and_annotated():
    _, tools = _listed()
    for tool in tools.values():
        assert tool.output_schema and tool.input_schema["type"] == "object", tool.name
        assert len(tool.description) >= 30 and tool.title, tool.name
        hints = tool.annotations
        assert hints.open_world_hint is True and hints.read_only_hint is not None, tool.name
        assert hints.read_only_hint == all(OPERATIONS[op].method == "GET" for op in TOOLS[tool.name].operations), tool.name
    assert tools["remove_playlist_items"].annotations.destructive_hint is True
    assert tools["add_to_queue"].annotations.idempotent_hint is False


@pytest.mark.django_db(transaction=True)
def test_the_server_lists_the_tools_the_callers_scopes_allow(tools, alice):
    """Through the gateway's own server (build_server): a read-only token sees the read tools only."""
    reader = tools.with_scopes(SCOPE_READ)
    listed = {tool.name for tool in reader.session(lambda client: client.list_tools()).tools}
    readable = {name for name, requirement in TOOL_REQUIREMENTS.items() if requirement.gateway_scopes == {SCOPE_READ}}
    assert listed == readable | {"get_gateway_identity"}
    assert "pause_playback" not in listed and "search" in listed


def test_requirements_come_from_the_operations_called():
    assert TOOL_REQUIREMENTS["start_playback"].spotify_scopes == {"user-modify-playback-state"}
    assert TOOL_REQUIREMENTS["get_queue"].spotify_scopes == {"user-read-currently-playing", "user-read-playback-state"}
    assert TOOL_REQUIREMENTS["search"].spotify_scopes == frozenset()
    for requirement in TOOL_REQUIREMENTS.values():
        assert len(requirement.gateway_scopes) == 1 and requirement.gateway_scopes <= ALL_SCOPES
        # The gateway asks for every scope a tool needs when a person connects Spotify.
        assert requirement.spotify_scopes <= set(SPOTIFY_SCOPES)


def test_no_tool_needs_or_can_declare_the_rest_apis_scope():
    from mcpgateway.mcp.tools.registry import spotify_tool

    assert all(SCOPE_API not in requirement.gateway_scopes for requirement in TOOL_REQUIREMENTS.values())
    with pytest.raises(ValueError, match="Unknown gateway scope 'api'"):
        spotify_tool(scope=SCOPE_API, operations=("get-track",), title="x", read_only=True)


def test_tool_access_applies_each_tools_requirement():
    every = frozenset(SPOTIFY_SCOPES)

    def access(name, gateway_scopes, spotify_scopes):
        caller = Principal(user_id=1, username="robin", scopes=frozenset(gateway_scopes), credential_id="pat:1", kind="pat", audience=None)
        return tool_access(caller, spotify_scopes, TOOL_REQUIREMENTS[name], tool=name)

    assert isinstance(access("pause_playback", {SCOPE_PLAYBACK}, every), Allowed)
    assert access("pause_playback", {SCOPE_READ}, every).lacking == {SCOPE_PLAYBACK}
    lacking_spotify = access("pause_playback", ALL_SCOPES, every - {"user-modify-playback-state"})
    assert isinstance(lacking_spotify, Refusal) and lacking_spotify.reason == "spotify_scope"
    assert isinstance(access("search", {SCOPE_READ}, frozenset()), Allowed)
    assert access("get_queue", {SCOPE_READ}, frozenset({"user-read-playback-state"})).lacking == {"user-read-currently-playing"}
