"""What each tool needs, how it is declared to the server, and the Web API operations behind it."""

import asyncio

from mcp.server.mcpserver import MCPServer

from mcpgateway.mcp.server import tool_access
from mcpgateway.mcp.tools import TOOL_REQUIREMENTS, register_tools, tool_allowed
from mcpgateway.scopes import ALL_SCOPES, SCOPE_PLAYBACK, SCOPE_READ
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
        assert hints.read_only_hint == all(OPERATIONS[op].method == "GET" for op in TOOL_REQUIREMENTS[tool.name].operations), tool.name
    assert tools["remove_playlist_items"].annotations.destructive_hint is True
    assert tools["add_to_queue"].annotations.idempotent_hint is False


def test_requirements_are_declared_to_the_server():
    server, _ = _listed()
    declared = tool_access(server).requirements
    for name, requirement in TOOL_REQUIREMENTS.items():
        assert declared[name].gateway_scopes == {requirement.gateway_scope}
        assert declared[name].spotify_scopes == requirement.spotify_scopes


def test_requirements_come_from_the_operations_called():
    assert TOOL_REQUIREMENTS["start_playback"].spotify_scopes == {"user-modify-playback-state"}
    assert TOOL_REQUIREMENTS["get_queue"].spotify_scopes == {"user-read-currently-playing", "user-read-playback-state"}
    assert TOOL_REQUIREMENTS["search"].spotify_scopes == frozenset()
    for requirement in TOOL_REQUIREMENTS.values():
        assert requirement.gateway_scope in ALL_SCOPES
        # The gateway asks for every scope a tool needs when a person connects Spotify.
        assert requirement.spotify_scopes <= set(SPOTIFY_SCOPES)


def test_tool_allowed():
    every = set(SPOTIFY_SCOPES)
    assert tool_allowed("pause_playback", gateway_scopes={SCOPE_PLAYBACK}, spotify_scopes=every)
    assert not tool_allowed("pause_playback", gateway_scopes={SCOPE_READ}, spotify_scopes=every)
    assert not tool_allowed("pause_playback", gateway_scopes=ALL_SCOPES, spotify_scopes=every - {"user-modify-playback-state"})
    assert tool_allowed("search", gateway_scopes={SCOPE_READ}, spotify_scopes=set())
    assert not tool_allowed("get_queue", gateway_scopes={SCOPE_READ}, spotify_scopes={"user-read-playback-state"})
    assert not tool_allowed("no_such_tool", gateway_scopes=ALL_SCOPES, spotify_scopes=every)
