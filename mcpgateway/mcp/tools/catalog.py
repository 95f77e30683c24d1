"""Spotify's catalog: search, and details of tracks, albums and artists."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcpgateway.core.scopes import SCOPE_READ
from mcpgateway.spotify.webapi import ARTIST_ALBUMS_LIMIT_MAX, PAGE_LIMIT_MAX, SEARCH_LIMIT_MAX, SEARCH_OFFSET_MAX, AlbumGroup, SearchType

from .errors import spotify_errors
from .identifiers import spotify_id
from .registry import spotify_tool
from .schemas import Album, AlbumDetails, Artist, Audiobook, Episode, Page, Playlist, SearchResults, Show, Track
from .spotify_account import spotify_for

IdOrUri = Annotated[str, Field(min_length=1, max_length=200)]

# search type -> (key of Spotify's answer and of SearchResults, result model)
_SEARCH_RESULTS = {
    "track": ("tracks", Track),
    "album": ("albums", Album),
    "artist": ("artists", Artist),
    "playlist": ("playlists", Playlist),
    "show": ("shows", Show),
    "episode": ("episodes", Episode),
    "audiobook": ("audiobooks", Audiobook),
}


@spotify_tool(scope=SCOPE_READ, operations=("search",), title="Search Spotify", read_only=True)
async def search(
    ctx: Context,
    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=500,
            description='What to look for. Field filters narrow it: artist:, album:, track:, year:1990-1999, genre:, isrc:, upc:, tag:new. Example: "artist:Radiohead year:1997".',
        ),
    ],
    types: Annotated[
        list[SearchType],
        Field(min_length=1, max_length=7, description="Which kinds of results to return; each kind is paged separately."),
    ] = ["track"],  # noqa: B006 - pydantic copies defaults
    limit: Annotated[int, Field(ge=1, le=SEARCH_LIMIT_MAX, description="Results per kind (Spotify allows at most 10).")] = 10,
    offset: Annotated[int, Field(ge=0, le=SEARCH_OFFSET_MAX, description="Skip this many results per kind; use next_offset from a previous answer.")] = 0,
) -> SearchResults:
    """Search Spotify's catalog for tracks, albums, artists, playlists, podcast shows, episodes or audiobooks.

    Use it to turn a name into an id or URI before playing, queueing, saving or adding to a playlist.
    Each kind returns at most 10 results per call; page with `offset` (the answer's `next_offset`)."""
    spotify = await spotify_for(ctx)
    answer = await spotify.search(q=query, types=list(types), limit=limit, offset=offset)
    results = SearchResults()
    for kind in dict.fromkeys(types):
        key, model = _SEARCH_RESULTS[kind]
        page = Page[model].from_spotify(answer.get(key), model.from_spotify)
        if page.next_offset is not None and page.next_offset > SEARCH_OFFSET_MAX:
            page.next_offset = None
        setattr(results, key, page)
    return results


@spotify_tool(scope=SCOPE_READ, operations=("get-track",), title="Get a track", read_only=True)
async def get_track(
    ctx: Context,
    track_id: Annotated[IdOrUri, Field(description="The track's id, spotify:track:<id> URI or open.spotify.com link.")],
) -> Track:
    """Get one track: name, artists, album, duration and its URI (for playing, queueing, saving)."""
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found="No track has that id on Spotify."):
        return Track.from_spotify(await spotify.track(track_id=spotify_id(track_id, "track", argument="track_id")))


@spotify_tool(scope=SCOPE_READ, operations=("get-an-album",), title="Get an album", read_only=True)
async def get_album(
    ctx: Context,
    album_id: Annotated[IdOrUri, Field(description="The album's id, spotify:album:<id> URI or open.spotify.com link.")],
) -> AlbumDetails:
    """Get one album: name, artists, release date, label and its first tracks (get_album_tracks pages through the rest)."""
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found="No album has that id on Spotify."):
        return AlbumDetails.from_spotify(await spotify.album(album_id=spotify_id(album_id, "album", argument="album_id")))


@spotify_tool(scope=SCOPE_READ, operations=("get-an-albums-tracks",), title="List an album's tracks", read_only=True)
async def get_album_tracks(
    ctx: Context,
    album_id: Annotated[IdOrUri, Field(description="The album's id, spotify:album:<id> URI or open.spotify.com link.")],
    limit: Annotated[int, Field(ge=1, le=PAGE_LIMIT_MAX)] = 20,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[Track]:
    """List an album's tracks in order, a page at a time."""
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found="No album has that id on Spotify."):
        answer = await spotify.album_tracks(album_id=spotify_id(album_id, "album", argument="album_id"), limit=limit, offset=offset)
    return Page[Track].from_spotify(answer, lambda t: Track.from_spotify(t, with_album=False))


@spotify_tool(scope=SCOPE_READ, operations=("get-an-artist",), title="Get an artist", read_only=True)
async def get_artist(
    ctx: Context,
    artist_id: Annotated[IdOrUri, Field(description="The artist's id, spotify:artist:<id> URI or open.spotify.com link.")],
) -> Artist:
    """Get one artist: name, genres and URI (play the URI as a context to play the artist)."""
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found="No artist has that id on Spotify."):
        return Artist.from_spotify(await spotify.artist(artist_id=spotify_id(artist_id, "artist", argument="artist_id")))


@spotify_tool(scope=SCOPE_READ, operations=("get-an-artists-albums",), title="List an artist's albums", read_only=True)
async def get_artist_albums(
    ctx: Context,
    artist_id: Annotated[IdOrUri, Field(description="The artist's id, spotify:artist:<id> URI or open.spotify.com link.")],
    include_groups: Annotated[
        list[AlbumGroup] | None,
        Field(description="Only these kinds: album, single, appears_on, compilation. Default: all."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=ARTIST_ALBUMS_LIMIT_MAX, description="At most 10 (Spotify's limit).")] = 10,
    offset: Annotated[int, Field(ge=0, description="Use next_offset from a previous answer.")] = 0,
) -> Page[Album]:
    """List an artist's albums and singles (the artist's discography), a page of at most 10 at a time."""
    spotify = await spotify_for(ctx)
    with spotify_errors(not_found="No artist has that id on Spotify."):
        answer = await spotify.artist_albums(
            artist_id=spotify_id(artist_id, "artist", argument="artist_id"),
            include_groups=list(include_groups) if include_groups else None,
            limit=limit,
            offset=offset,
        )
    return Page[Album].from_spotify(answer, Album.from_spotify)
