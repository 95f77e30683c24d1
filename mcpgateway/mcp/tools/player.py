"""Playback: what is playing, devices, the queue, and controlling the player.

Controlling playback needs Spotify Premium and an active device (a Spotify app open on a phone,
computer or speaker). When Spotify reports no active device, the answer lists the person's devices
by name and id, so the model can retry with a `device_id` or tell the person what to open.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcpgateway.core.scopes import SCOPE_PLAYBACK, SCOPE_READ
from mcpgateway.spotify.transport import SpotifyError
from mcpgateway.spotify.webapi import PLAYLIST_ITEMS_WRITE_MAX, RepeatState, SpotifyApi

from .errors import ToolProblem, problem_from_spotify
from .identifiers import device_id as checked_device_id
from .identifiers import spotify_uri, spotify_uris
from .registry import spotify_tool
from .schemas import Device, Devices, NowPlaying, PlaybackState, PlayerAction, Queue
from .spotify_account import spotify_for

DeviceId = Annotated[
    str | None,
    Field(max_length=128, description="Id of the device to act on (from get_devices). Default: the active device."),
]
PLAYABLE = ("track", "episode")
CONTEXTS = ("album", "artist", "playlist", "show")

# Spotify's `reason` for a refused player command, in words a person can act on.
_PLAYER_REASONS = {
    "DEVICE_NOT_CONTROLLABLE": "That device cannot be controlled from other apps. Pick another one from get_devices.",
    "VOLUME_CONTROL_DISALLOW": "That device does not let other apps change its volume.",
    "NO_PREV_TRACK": "There is no previous track to go back to.",
    "NO_NEXT_TRACK": "There is no next track to skip to.",
    "CONTEXT_DISALLOW": "Spotify does not allow this for what is playing now.",
    "REMOTE_CONTROL_DISALLOW": "That device does not allow remote control.",
    "NO_SPECIFIC_TRACK": "Spotify could not find what to play there; check the URIs and offset.",
    # Spotify's catch-all ("Restriction violated"): the command does not fit the player's state.
    "UNKNOWN": (
        "Spotify refused this in the player's current state (for example pausing what is already paused, "
        "or skipping when nothing is loaded). Check get_playback_state."
    ),
}


async def _device_list(spotify: SpotifyApi) -> list[Device] | None:
    try:
        return [Device.from_spotify(d) for d in await spotify.devices()]
    except SpotifyError:
        return None  # the list is a courtesy; the problem is reported either way


async def _no_device_problem(spotify: SpotifyApi, *, asked_for: str | None) -> ToolProblem:
    devices = await _device_list(spotify)
    first = (
        f"Spotify has no device with id {asked_for!r} for this account."
        if asked_for
        else "No Spotify device is active, so there is nothing to control."
    )
    if devices is None:
        rest = " Open Spotify on a phone, computer or speaker, or pass a device_id from get_devices, and try again."
    elif not devices:
        rest = " Spotify sees no devices for this account: open Spotify on a phone, computer or speaker, then try again."
    else:
        listed = "; ".join(f"{d.name!r} ({d.type or 'device'}, id {d.id})" for d in devices if d.id)
        rest = f" Your devices: {listed}. Call again with device_id set to one of these ids, or start Spotify on one of them."
    return ToolProblem(first + rest, kind="no_active_device")


async def _player_command(spotify: SpotifyApi, command: Awaitable[None], *, device_id: str | None, done: str, already: dict[str, str] | None = None) -> PlayerAction:
    """Run a player command; Spotify's refusals become problems, `already` reasons count as done."""
    try:
        await command
    except SpotifyError as exc:
        reason = (exc.reason or "").upper()
        if already and reason in already:
            return PlayerAction(message=already[reason])
        if reason == "NO_ACTIVE_DEVICE" or (exc.status == 404 and device_id):
            raise await _no_device_problem(spotify, asked_for=device_id if reason != "NO_ACTIVE_DEVICE" else None) from exc
        if exc.status == 403 and reason in _PLAYER_REASONS:
            raise ToolProblem(_PLAYER_REASONS[reason], kind="forbidden") from exc
        raise problem_from_spotify(exc) from exc
    return PlayerAction(message=done)


# --- Reading --------------------------------------------------------------------------------------


@spotify_tool(scope=SCOPE_READ, operations=("get-information-about-the-users-current-playback",), title="Playback state", read_only=True)
async def get_playback_state(ctx: Context) -> PlaybackState:
    """Get the full player state: whether something plays, the track or episode, progress, device, shuffle, repeat and context.

    `active` is false when no device is playing or paused."""
    spotify = await spotify_for(ctx)
    return PlaybackState.from_spotify(await spotify.playback_state())


@spotify_tool(scope=SCOPE_READ, operations=("get-the-users-currently-playing-track",), title="Now playing", read_only=True)
async def get_currently_playing(ctx: Context) -> NowPlaying:
    """Get the track or episode playing now (or paused), with its progress. `item` is empty when nothing is playing."""
    spotify = await spotify_for(ctx)
    return NowPlaying.from_spotify(await spotify.currently_playing())


@spotify_tool(scope=SCOPE_READ, operations=("get-a-users-available-devices",), title="List devices", read_only=True)
async def get_devices(ctx: Context) -> Devices:
    """List the devices where Spotify is open for this account (name, type, id, whether active, volume).

    Use an id as device_id to play on or transfer playback to that device."""
    spotify = await spotify_for(ctx)
    return Devices(devices=[Device.from_spotify(d) for d in await spotify.devices()])


@spotify_tool(scope=SCOPE_READ, operations=("get-queue",), title="Get the queue", read_only=True)
async def get_queue(ctx: Context) -> Queue:
    """Get what is playing now and what plays next, in order (the queue, then the rest of the context)."""
    spotify = await spotify_for(ctx)
    return Queue.from_spotify(await spotify.queue())


# --- Controlling ----------------------------------------------------------------------------------


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("start-a-users-playback",), title="Play", read_only=False, idempotent=True)
async def start_playback(
    ctx: Context,
    context_uri: Annotated[
        str | None,
        Field(max_length=200, description="Play this album, artist, playlist or show: spotify:album:<id>, spotify:artist:<id>, spotify:playlist:<id>, spotify:show:<id>."),
    ] = None,
    uris: Annotated[
        list[str] | None,
        Field(max_length=PLAYLIST_ITEMS_WRITE_MAX, description="Or play these tracks or episodes in order: spotify:track:<id>, spotify:episode:<id>."),
    ] = None,
    offset_position: Annotated[
        int | None, Field(ge=0, description="Start at this zero-based position of the album or playlist (or of `uris`).")
    ] = None,
    offset_uri: Annotated[
        str | None, Field(max_length=200, description="Or start at this track of the album or playlist: spotify:track:<id>.")
    ] = None,
    position_ms: Annotated[int | None, Field(ge=0, description="Start this many milliseconds into the first track.")] = None,
    device_id: DeviceId = None,
) -> PlayerAction:
    """Start playing an album, artist, playlist or show (`context_uri`), or a list of tracks (`uris`); with neither, resume what was paused.

    Find URIs with search. Needs Spotify Premium and an active device (or a device_id from get_devices)."""
    context = spotify_uri(context_uri, CONTEXTS, argument="context_uri") if context_uri else None
    items = spotify_uris(uris, PLAYABLE, argument="uris") if uris else None
    offset = spotify_uri(offset_uri, PLAYABLE, argument="offset_uri") if offset_uri else None
    if context and items:
        raise ToolProblem("Give either context_uri or uris, not both.", kind="invalid_input")
    if (offset_position is not None or offset) and not (context or items):
        raise ToolProblem("An offset needs a context_uri or uris to start in.", kind="invalid_input")
    if offset and context and not context.startswith(("spotify:album:", "spotify:playlist:")):
        raise ToolProblem("offset_uri works only with an album or playlist context.", kind="invalid_input")
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    if context:
        done = f"Playing {context}."
    elif items:
        done = f"Playing {len(items)} item{'s' if len(items) != 1 else ''}."
    else:
        done = "Playback resumed."
    command = spotify.play(
        device_id=device, context_uri=context, uris=items, offset_position=offset_position, offset_uri=offset, position_ms=position_ms
    )
    return await _player_command(spotify, command, device_id=device, done=done)


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("pause-a-users-playback",), title="Pause", read_only=False, idempotent=True)
async def pause_playback(ctx: Context, device_id: DeviceId = None) -> PlayerAction:
    """Pause playback (start_playback with no arguments resumes it)."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(
        spotify, spotify.pause(device_id=device), device_id=device, done="Paused.", already={"ALREADY_PAUSED": "It was already paused."}
    )


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("skip-users-playback-to-next-track",), title="Next track", read_only=False)
async def skip_to_next(ctx: Context, device_id: DeviceId = None) -> PlayerAction:
    """Skip to the next track in the queue or context."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(spotify, spotify.next(device_id=device), device_id=device, done="Skipped to the next track.")


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("skip-users-playback-to-previous-track",), title="Previous track", read_only=False)
async def skip_to_previous(ctx: Context, device_id: DeviceId = None) -> PlayerAction:
    """Go back to the previous track in the queue or context."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(spotify, spotify.previous(device_id=device), device_id=device, done="Went back to the previous track.")


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("seek-to-position-in-currently-playing-track",), title="Seek", read_only=False, idempotent=True)
async def seek_to_position(
    ctx: Context,
    position_ms: Annotated[int, Field(ge=0, description="Position in milliseconds from the start of the current track (90 s = 90000).")],
    device_id: DeviceId = None,
) -> PlayerAction:
    """Jump to a position in the track playing now."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(
        spotify, spotify.seek(position_ms=position_ms, device_id=device), device_id=device, done=f"Moved to {position_ms // 1000} s."
    )


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("set-volume-for-users-playback",), title="Set volume", read_only=False, idempotent=True)
async def set_volume(
    ctx: Context,
    volume_percent: Annotated[int, Field(ge=0, le=100, description="0 (silent) to 100.")],
    device_id: DeviceId = None,
) -> PlayerAction:
    """Set the playback volume of the active device (or of device_id). Some devices do not allow it."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(
        spotify, spotify.set_volume(volume_percent=volume_percent, device_id=device), device_id=device, done=f"Volume set to {volume_percent}%."
    )


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("toggle-shuffle-for-users-playback",), title="Shuffle", read_only=False, idempotent=True)
async def set_shuffle(
    ctx: Context,
    state: Annotated[bool, Field(description="true to shuffle, false to play in order.")],
    device_id: DeviceId = None,
) -> PlayerAction:
    """Turn shuffle on or off: play the album, playlist or artist in random order, or in order again."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(
        spotify, spotify.set_shuffle(state=state, device_id=device), device_id=device, done=f"Shuffle {'on' if state else 'off'}."
    )


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("set-repeat-mode-on-users-playback",), title="Repeat", read_only=False, idempotent=True)
async def set_repeat_mode(
    ctx: Context,
    state: Annotated[RepeatState, Field(description="track: repeat this track; context: repeat the album or playlist; off.")],
    device_id: DeviceId = None,
) -> PlayerAction:
    """Set repeat: the current track, the whole album or playlist (context), or off."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(spotify, spotify.set_repeat(state=state, device_id=device), device_id=device, done=f"Repeat set to {state}.")


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("transfer-a-users-playback",), title="Transfer playback", read_only=False, idempotent=True)
async def transfer_playback(
    ctx: Context,
    device_id: Annotated[str, Field(min_length=1, max_length=128, description="Id of the device to move playback to (from get_devices).")],
    play: Annotated[
        bool | None, Field(description="true: start playing there; false or omitted: keep the current play/pause state.")
    ] = None,
) -> PlayerAction:
    """Move playback to another of the person's devices (e.g. from the phone to the living-room speaker)."""
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(
        spotify, spotify.transfer_playback(device_id=device, play=play), device_id=device, done=f"Playback moved to device {device}."
    )


@spotify_tool(scope=SCOPE_PLAYBACK, operations=("add-to-queue",), title="Add to queue", read_only=False)
async def add_to_queue(
    ctx: Context,
    uri: Annotated[str, Field(min_length=1, max_length=200, description="The track or episode to queue: spotify:track:<id> or spotify:episode:<id>.")],
    device_id: DeviceId = None,
) -> PlayerAction:
    """Add a track or episode to the end of the queue, to play after what is queued already."""
    item = spotify_uri(uri, PLAYABLE, argument="uri")
    device = checked_device_id(device_id)
    spotify = await spotify_for(ctx)
    return await _player_command(spotify, spotify.add_to_queue(uri=item, device_id=device), device_id=device, done=f"Queued {item}.")
