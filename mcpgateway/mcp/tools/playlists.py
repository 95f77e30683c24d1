"""Playlists: reading them, creating one, and changing its details and items.

Spotify lets an app change only playlists the person owns (and collaborative ones they were
invited to); a refusal says so and points to create_playlist.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcpgateway.core.scopes import SCOPE_PLAYLISTS
from mcpgateway.spotify.webapi import PAGE_LIMIT_MAX, PLAYLIST_DESCRIPTION_MAX, PLAYLIST_ITEMS_WRITE_MAX, PLAYLIST_NAME_MAX

from .errors import spotify_errors
from .identifiers import spotify_id, spotify_uris
from .registry import spotify_tool
from .schemas import Page, Playlist, PlaylistChange, PlaylistItem, playable_from
from .spotify_account import spotify_for

PlaylistId = Annotated[
    str,
    Field(min_length=1, max_length=200, description="The playlist's id, spotify:playlist:<id> URI or open.spotify.com link."),
]
ItemUris = Annotated[
    list[str],
    Field(min_length=1, max_length=PLAYLIST_ITEMS_WRITE_MAX, description="Tracks or episodes: spotify:track:<id> or spotify:episode:<id> (at most 100)."),
]
SnapshotId = Annotated[
    str | None,
    Field(max_length=200, description="Optional: the playlist version (snapshot_id) the change is meant for."),
]
PLAYABLE = ("track", "episode")
NOT_FOUND = "No playlist has that id on Spotify, or it is private and not yours."
NOT_OWNER = (
    "You can only change playlists you own, or collaborative playlists you were invited to, and this one is not. "
    "Create your own with create_playlist and add the items there."
)


def _playlist_id(value: str) -> str:
    return spotify_id(value, "playlist", argument="playlist_id")


@spotify_tool(scope=SCOPE_PLAYLISTS, operations=("get-a-list-of-current-users-playlists",), title="My playlists", read_only=True)
async def list_my_playlists(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[Playlist]:
    """List the playlists in this person's library: their own and those they follow (owner tells which)."""
    spotify = await spotify_for(ctx)
    return Page[Playlist].from_spotify(await spotify.my_playlists(limit=limit, offset=offset), Playlist.from_spotify)


@spotify_tool(scope=SCOPE_PLAYLISTS, operations=("get-playlist",), title="Get a playlist", read_only=True)
async def get_playlist(ctx: Context, playlist_id: PlaylistId) -> Playlist:
    """Get a playlist's details: name, description, owner, public/collaborative, number of items and snapshot_id.

    List its items with get_playlist_items."""
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found=NOT_FOUND):
        return Playlist.from_spotify(await spotify.playlist(playlist_id=_playlist_id(playlist_id)))


@spotify_tool(scope=SCOPE_PLAYLISTS, operations=("get-playlists-items",), title="List a playlist's items", read_only=True)
async def get_playlist_items(
    ctx: Context,
    playlist_id: PlaylistId,
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[PlaylistItem]:
    """List a playlist's tracks and episodes in order, with their positions (for reorder_playlist_items), a page at a time."""
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found=NOT_FOUND, forbidden="Spotify lets apps list the items only of playlists you own or collaborate on."):
        answer = await spotify.playlist_items(playlist_id=_playlist_id(playlist_id), limit=limit, offset=offset)
    page = Page[PlaylistItem].from_spotify(answer, lambda _: None)
    start = answer.get("offset") or offset
    items = []
    for i, entry in enumerate(answer.get("items") or []):
        if not isinstance(entry, dict):
            continue
        added_by = entry.get("added_by") if isinstance(entry.get("added_by"), dict) else {}
        # Spotify renamed the entry's `track` to `item` in February 2026; older answers still use `track`.
        item = entry.get("item") if entry.get("item") is not None else entry.get("track")
        items.append(PlaylistItem(position=start + i, added_at=entry.get("added_at"), added_by=added_by.get("id"), item=playable_from(item)))
    page.items = items
    return page


@spotify_tool(scope=SCOPE_PLAYLISTS, operations=("create-playlist",), title="Create a playlist", read_only=False)
async def create_playlist(
    ctx: Context,
    name: Annotated[str, Field(min_length=1, max_length=PLAYLIST_NAME_MAX)],
    description: Annotated[str | None, Field(max_length=PLAYLIST_DESCRIPTION_MAX)] = None,
    public: Annotated[bool, Field(description="Shown on the person's profile. Default: private.")] = False,
    collaborative: Annotated[bool, Field(description="Others the person invites may edit it (must be private).")] = False,
) -> Playlist:
    """Create a new, empty playlist in this person's account; add items with add_playlist_items using the returned id."""
    spotify = await spotify_for(ctx)
    with spotify_errors():
        answer = await spotify.create_playlist(name=name, description=description, public=public, collaborative=collaborative)
    return Playlist.from_spotify(answer or {})


@spotify_tool(
    scope=SCOPE_PLAYLISTS, operations=("change-playlist-details",), title="Change playlist details", read_only=False, destructive=True, idempotent=True
)
async def update_playlist_details(
    ctx: Context,
    playlist_id: PlaylistId,
    name: Annotated[str | None, Field(min_length=1, max_length=PLAYLIST_NAME_MAX, description="New name; omit to keep.")] = None,
    description: Annotated[str | None, Field(max_length=PLAYLIST_DESCRIPTION_MAX, description="New description; omit to keep.")] = None,
    public: Annotated[bool | None, Field(description="Omit to keep.")] = None,
    collaborative: Annotated[bool | None, Field(description="Omit to keep. A collaborative playlist must be private.")] = None,
) -> PlaylistChange:
    """Rename a playlist you own, or change its description, public or collaborative setting; omitted fields stay as they are."""
    pid = _playlist_id(playlist_id)
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found=NOT_FOUND, forbidden=NOT_OWNER):
        await spotify.change_playlist_details(playlist_id=pid, name=name, description=description, public=public, collaborative=collaborative)
    return PlaylistChange(playlist_id=pid)


@spotify_tool(scope=SCOPE_PLAYLISTS, operations=("add-items-to-playlist",), title="Add to a playlist", read_only=False)
async def add_playlist_items(
    ctx: Context,
    playlist_id: PlaylistId,
    uris: ItemUris,
    position: Annotated[int | None, Field(ge=0, description="Zero-based position to insert at; omit to append.")] = None,
) -> PlaylistChange:
    """Add tracks or episodes to a playlist you own or collaborate on (appended, or inserted at `position`)."""
    pid = _playlist_id(playlist_id)
    items = spotify_uris(uris, PLAYABLE, argument="uris")
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found=NOT_FOUND, forbidden=NOT_OWNER):
        answer = await spotify.add_playlist_items(playlist_id=pid, uris=items, position=position)
    return PlaylistChange(playlist_id=pid, snapshot_id=(answer or {}).get("snapshot_id"))


@spotify_tool(scope=SCOPE_PLAYLISTS, operations=("remove-items-playlist",), title="Remove from a playlist", read_only=False, destructive=True, idempotent=True)
async def remove_playlist_items(ctx: Context, playlist_id: PlaylistId, uris: ItemUris, snapshot_id: SnapshotId = None) -> PlaylistChange:
    """Remove tracks or episodes from a playlist you own or collaborate on. Every occurrence of each URI is removed."""
    pid = _playlist_id(playlist_id)
    items = spotify_uris(uris, PLAYABLE, argument="uris")
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found=NOT_FOUND, forbidden=NOT_OWNER):
        answer = await spotify.remove_playlist_items(playlist_id=pid, uris=items, snapshot_id=snapshot_id)
    return PlaylistChange(playlist_id=pid, snapshot_id=(answer or {}).get("snapshot_id"))


@spotify_tool(scope=SCOPE_PLAYLISTS, operations=("reorder-or-replace-playlists-items",), title="Reorder a playlist", read_only=False)
async def reorder_playlist_items(
    ctx: Context,
    playlist_id: PlaylistId,
    range_start: Annotated[int, Field(ge=0, description="Zero-based position of the first item to move.")],
    insert_before: Annotated[
        int, Field(ge=0, description="Position to move them before, counted before the move (use the playlist's length to move to the end).")
    ],
    range_length: Annotated[int, Field(ge=1, le=PLAYLIST_ITEMS_WRITE_MAX, description="How many consecutive items to move.")] = 1,
    snapshot_id: SnapshotId = None,
) -> PlaylistChange:
    """Move one item or a run of items within a playlist you own or collaborate on. Positions come from get_playlist_items.

    Example: to move the item at position 5 to the top, range_start=5, insert_before=0."""
    pid = _playlist_id(playlist_id)
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found=NOT_FOUND, forbidden=NOT_OWNER):
        answer = await spotify.reorder_playlist_items(
            playlist_id=pid, range_start=range_start, insert_before=insert_before, range_length=range_length, snapshot_id=snapshot_id
        )
    return PlaylistChange(playlist_id=pid, snapshot_id=(answer or {}).get("snapshot_id"))
