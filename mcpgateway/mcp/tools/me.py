"""The person's own Spotify account: profile, listening history and top items."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcpgateway.core.scopes import SCOPE_READ
from mcpgateway.spotify.webapi import PAGE_LIMIT_MAX, TimeRange

from .registry import spotify_tool
from .schemas import Artist, Page, PlayedTrack, Profile, RecentlyPlayed, Track
from .spotify_account import spotify_for

TIME_RANGE_HELP = "short_term: about the last 4 weeks; medium_term: about 6 months; long_term: about a year."


@spotify_tool(scope=SCOPE_READ, operations=("get-current-users-profile",), title="Get my Spotify profile", read_only=True)
async def get_my_profile(ctx: Context) -> Profile:
    """Get the connected Spotify account: user id, display name, country and subscription (premium or free).

    Playback control needs premium; check here when a playback tool reports it."""
    spotify = await spotify_for(ctx)
    return Profile.from_spotify(await spotify.me())


@spotify_tool(scope=SCOPE_READ, operations=("get-recently-played",), title="Recently played tracks", read_only=True)
async def get_recently_played(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    before: Annotated[
        int | None,
        Field(ge=0, description="Unix time in milliseconds: only plays before it. Use next_before from a previous answer for older plays."),
    ] = None,
) -> RecentlyPlayed:
    """List the tracks this account played most recently, newest first (Spotify keeps about the last 50)."""
    spotify = await spotify_for(ctx)
    answer = await spotify.recently_played(limit=limit, before=before)
    items = []
    for entry in answer.get("items") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("track"), dict):
            continue
        context = entry.get("context") if isinstance(entry.get("context"), dict) else {}
        items.append(PlayedTrack(played_at=entry.get("played_at"), track=Track.from_spotify(entry["track"]), context_uri=context.get("uri")))
    cursors = answer.get("cursors") if isinstance(answer.get("cursors"), dict) else {}
    next_before = None
    if answer.get("next") and cursors.get("before"):
        try:
            next_before = int(cursors["before"])
        except (TypeError, ValueError):
            next_before = None
    return RecentlyPlayed(items=items, next_before=next_before)


@spotify_tool(scope=SCOPE_READ, operations=("get-users-top-artists",), title="My top artists", read_only=True)
async def get_top_artists(
    ctx: Context,
    time_range: Annotated[TimeRange, Field(description=TIME_RANGE_HELP)] = "medium_term",
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[Artist]:
    """List the artists this account listens to most, most listened first."""
    spotify = await spotify_for(ctx)
    answer = await spotify.top_items(kind="artists", time_range=time_range, limit=limit, offset=offset)
    return Page[Artist].from_spotify(answer, Artist.from_spotify)


@spotify_tool(scope=SCOPE_READ, operations=("get-users-top-tracks",), title="My top tracks", read_only=True)
async def get_top_tracks(
    ctx: Context,
    time_range: Annotated[TimeRange, Field(description=TIME_RANGE_HELP)] = "medium_term",
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[Track]:
    """List the tracks this account listens to most, most listened first."""
    spotify = await spotify_for(ctx)
    answer = await spotify.top_items(kind="tracks", time_range=time_range, limit=limit, offset=offset)
    return Page[Track].from_spotify(answer, Track.from_spotify)
