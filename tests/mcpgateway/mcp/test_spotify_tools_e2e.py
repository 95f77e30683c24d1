"""End to end: the SDK's own Client, over real HTTP against a gateway worker, with a personal access
token, in both protocol modes: it lists the Spotify tools, calls read and write tools, and the
emulator's state changes as Spotify's would."""

import asyncio

import pytest

from mcpgateway.mcp.models import McpSession
from tests.conftest import make_grant, make_personal_access_token
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, mcp_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
MODES = [pytest.param("legacy", id=LEGACY), pytest.param(MODERN, id=MODERN)]


@pytest.fixture
def spotify_gateway(emulator, start_gateway):
    """A worker started after the emulator fixture pointed the settings at the emulator."""
    return start_gateway()


def text_of(result) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def call(url, token, mode, work):
    async with mcp_client(f"{url}/mcp", token, mode=mode) as client:
        return await work(client)


@pytest.mark.parametrize("mode", MODES)
def test_read_and_write_tools_change_spotify(spotify_gateway, emulator, person, mode):
    make_grant(emulator, person, spotify_user_id="alice")
    token = make_personal_access_token(person)

    async def work(client):
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        found = await client.call_tool("search", {"query": "a", "types": ["track"], "limit": 3})
        track_uri = found.structured_content["tracks"]["items"][0]["uri"]
        queued = await client.call_tool("add_to_queue", {"uri": track_uri})
        paused = await client.call_tool("pause_playback", {})
        created = await client.call_tool("create_playlist", {"name": "Made over MCP", "public": False})
        return tools, found, track_uri, queued, paused, created

    tools, found, track_uri, queued, paused, created = asyncio.run(call(spotify_gateway, token, mode, work))

    assert {"search", "get_currently_playing", "start_playback", "add_to_queue", "create_playlist", "save_to_library"} <= set(tools)
    assert tools["search"].output_schema and tools["pause_playback"].annotations.read_only_hint is False
    assert not found.is_error and len(found.structured_content["tracks"]["items"]) <= 3
    for result in (queued, paused, created):
        assert not result.is_error, text_of(result)
    state = emulator.user_state("alice")
    assert track_uri in state["queue"]
    assert state["playback"]["is_playing"] is False
    assert any(p["name"] == "Made over MCP" and p["owner_id"] == "alice" for p in state["playlists"])
    session = McpSession.objects.get(user=person)
    assert session.protocol_version == (LEGACY if mode == "legacy" else MODERN)


@pytest.mark.parametrize("mode", MODES)
def test_spotify_problems_are_tool_errors_a_person_can_act_on(spotify_gateway, emulator, person, mode):
    make_grant(emulator, person, spotify_user_id="bob")  # Premium, devices, none active
    token = make_personal_access_token(person)

    result = asyncio.run(call(spotify_gateway, token, mode, lambda c: c.call_tool("start_playback", {})))

    assert result.is_error
    message = text_of(result)
    assert "No Spotify device is active" in message and "Living Room Speaker" in message
    assert "BQ" not in message  # no Spotify token leaks into what the client sees


@pytest.mark.parametrize("mode", MODES)
def test_a_read_only_token_sees_only_read_tools(spotify_gateway, emulator, person, mode):
    make_grant(emulator, person, spotify_user_id="alice")
    token = make_personal_access_token(person, scopes={"spotify:read"})

    async def work(client):
        listed = {tool.name for tool in (await client.list_tools()).tools}
        refused = await client.call_tool("pause_playback", {})
        return listed, refused

    listed, refused = asyncio.run(call(spotify_gateway, token, mode, work))

    assert "search" in listed and "get_currently_playing" in listed
    assert not listed & {"pause_playback", "start_playback", "create_playlist", "save_to_library"}
    assert refused.is_error
    assert emulator.user_state("alice")["playback"]["is_playing"] is True  # nothing reached Spotify


def test_without_a_spotify_connection_tools_say_how_to_connect(spotify_gateway, emulator, person):
    token = make_personal_access_token(person)
    result = asyncio.run(call(spotify_gateway, token, MODERN, lambda c: c.call_tool("get_currently_playing", {})))
    assert result.is_error
    assert f"{spotify_gateway}/" in text_of(result)


def test_a_disconnect_reaches_a_worker_that_cached_the_grant(spotify_gateway, emulator, person):
    from mcpgateway.spotify.services import grant_disconnect

    grant, _ = make_grant(emulator, person, spotify_user_id="alice")
    token = make_personal_access_token(person)
    playing = lambda c: c.call_tool("get_currently_playing", {})  # noqa: E731
    assert not asyncio.run(call(spotify_gateway, token, MODERN, playing)).is_error  # the worker caches the grant

    grant_disconnect(grant=grant)

    result = asyncio.run(call(spotify_gateway, token, MODERN, playing))
    assert result.is_error and "not connected" in text_of(result)
