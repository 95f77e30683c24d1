"""The person's library: saved tracks and albums, saving and removing items, followed artists.

Saving, removing and checking use Spotify's one library endpoint (`/me/library`, since February
2026), which takes URIs of several kinds at once, at most 40 per call.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcpgateway.core.scopes import SCOPE_LIBRARY
from mcpgateway.spotify.webapi import LIBRARY_URIS_MAX, PAGE_LIMIT_MAX

from .errors import spotify_errors
from .identifiers import spotify_id, spotify_uris
from .registry import spotify_tool
from .schemas import Album, Artist, FollowedArtists, LibraryChange, LibraryCheck, LibraryStatus, Page, SavedAlbum, SavedTrack, Track
from .spotify_account import spotify_for

LIBRARY_KINDS = ("track", "album", "episode", "show", "audiobook", "playlist")
LibraryUris = Annotated[
    list[str],
    Field(
        min_length=1,
        max_length=LIBRARY_URIS_MAX,
        description="At most 40 Spotify URIs: spotify:track:<id>, spotify:album:<id>, spotify:episode:<id>, spotify:show:<id>, spotify:audiobook:<id> or spotify:playlist:<id>.",
    ),
]


def _saved(entry: dict, key: str, convert):
    obj = entry.get(key)
    return convert(obj) if isinstance(obj, dict) else None


@spotify_tool(scope=SCOPE_LIBRARY, operations=("get-users-saved-tracks",), title="Saved tracks", read_only=True)
async def get_saved_tracks(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[SavedTrack]:
    """List the tracks this person saved (liked), most recently saved first."""
    spotify = await spotify_for(ctx)
    answer = await spotify.saved_tracks(limit=limit, offset=offset)

    def convert(entry: dict) -> SavedTrack | None:
        track = _saved(entry, "track", Track.from_spotify)
        return SavedTrack(added_at=entry.get("added_at"), track=track) if track else None

    return Page[SavedTrack].from_spotify(answer, convert)


@spotify_tool(scope=SCOPE_LIBRARY, operations=("get-users-saved-albums",), title="Saved albums", read_only=True)
async def get_saved_albums(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[SavedAlbum]:
    """List the albums this person saved, most recently saved first."""
    spotify = await spotify_for(ctx)
    answer = await spotify.saved_albums(limit=limit, offset=offset)

    def convert(entry: dict) -> SavedAlbum | None:
        album = _saved(entry, "album", Album.from_spotify)
        return SavedAlbum(added_at=entry.get("added_at"), album=album) if album else None

    return Page[SavedAlbum].from_spotify(answer, convert)


@spotify_tool(scope=SCOPE_LIBRARY, operations=("save-library-items",), title="Save to library", read_only=False, idempotent=True)
async def save_to_library(ctx: Context, uris: LibraryUris) -> LibraryChange:
    """Save tracks (like them), albums, episodes, shows, audiobooks or playlists to this person's library. Saving twice is harmless."""
    items = spotify_uris(uris, LIBRARY_KINDS, argument="uris")
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found="Spotify has nothing with one of those URIs."):
        await spotify.library_save(uris=items)
    return LibraryChange(uris=items, saved=True)


@spotify_tool(scope=SCOPE_LIBRARY, operations=("remove-library-items",), title="Remove from library", read_only=False, destructive=True, idempotent=True)
async def remove_from_library(ctx: Context, uris: LibraryUris) -> LibraryChange:
    """Remove tracks, albums, episodes, shows, audiobooks or playlists from this person's library (unlike, unsave)."""
    items = spotify_uris(uris, LIBRARY_KINDS, argument="uris")
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found="Spotify has nothing with one of those URIs."):
        await spotify.library_remove(uris=items)
    return LibraryChange(uris=items, saved=False)


@spotify_tool(scope=SCOPE_LIBRARY, operations=("check-library-contains",), title="Check the library", read_only=True)
async def check_library(ctx: Context, uris: LibraryUris) -> LibraryCheck:
    """Tell, for each URI, whether it is in this person's library (a saved track, album, episode, show, audiobook or playlist)."""
    items = spotify_uris(uris, LIBRARY_KINDS, argument="uris")
    spotify = await spotify_for(ctx)
    saved = await spotify.library_contains(uris=items)
    return LibraryCheck(items=[LibraryStatus(uri=uri, saved=s) for uri, s in zip(items, saved, strict=True)])


@spotify_tool(scope=SCOPE_LIBRARY, operations=("get-followed",), title="Followed artists", read_only=True)
async def get_followed_artists(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    after: Annotated[
        str | None, Field(max_length=200, description="Continue after this artist id: pass next_after from a previous answer.")
    ] = None,
) -> FollowedArtists:
    """List the artists this person follows, a page at a time (page with `after`)."""
    cursor = spotify_id(after, "artist", argument="after") if after else None
    spotify = await spotify_for(ctx)
    answer = await spotify.followed_artists(limit=limit, after=cursor)
    page = answer.get("artists") if isinstance(answer.get("artists"), dict) else {}
    artists = [Artist.from_spotify(a) for a in page.get("items") or [] if isinstance(a, dict)]
    cursors = page.get("cursors") if isinstance(page.get("cursors"), dict) else {}
    next_after = cursors.get("after") if page.get("next") else None
    return FollowedArtists(items=artists, total=page.get("total"), next_after=next_after)
