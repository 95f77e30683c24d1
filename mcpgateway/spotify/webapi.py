"""Spotify's Web API: the async client the MCP tools use, and the one synchronous call a new
connection makes (`current_user`, to learn whose account it is).

Each method of `SpotifyApi` is one Web API operation, named after it, taking typed arguments: limits
Spotify enforces are checked here before anything is sent (`SpotifyInvalidRequest`), so a bad
argument costs no request. Only operations Spotify still serves are used: every operation
`deprecated: true` in Spotify's OpenAPI description was removed in February 2026
(`/playlists/{id}/tracks`, `/me/tracks` writes, `/users/{id}/playlists`, ...);
`tests/mcpgateway/spotify/test_webapi.py` holds `OPERATIONS` to that file.

Requests go through `transport`, and failures are its exceptions: `SpotifyRateLimited` (429 whose
`Retry-After` is too long to wait for, or a second 429; after a 429 the process sends nothing to
the Web API until its `Retry-After` has passed), `SpotifyUnavailable` (5xx, timeout,
connection failure), `SpotifyRequestRejected` (any other 4xx, with Spotify's `reason`, e.g.
`PREMIUM_REQUIRED`, `NO_ACTIVE_DEVICE`). A 401 is answered by one forced refresh of the grant and one
retry, through `grant_refresh`, the single-flight refresh every other path uses.

Only the Spotify access token ever goes to Spotify, only in the `Authorization` header, and it
appears in no exception message and no log line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import quote

from django.conf import settings

from .transport import SpotifyRateLimited, SpotifyRequestRejected, SpotifyService, SpotifyUnavailable, error_from_answer, read_answer, send, send_async

logger = logging.getLogger(__name__)

WEB_API = SpotifyService.WEB_API

# The longest `Retry-After` a tool call waits out (once) before reporting the rate limit instead:
# an assistant waiting on a tool call should not hang for long.
RETRY_AFTER_WAIT_LIMIT_SECONDS = 5.0
# When a 429 carries no usable Retry-After, wait this long before the one retry.
RETRY_AFTER_DEFAULT_SECONDS = 1.0

# Limits from Spotify's OpenAPI description (February 2026 values).
SEARCH_LIMIT_MAX = 10
SEARCH_OFFSET_MAX = 1000
ARTIST_ALBUMS_LIMIT_MAX = 10
PAGE_LIMIT_MAX = 50
LIBRARY_URIS_MAX = 40
PLAYLIST_ITEMS_WRITE_MAX = 100
PLAYLIST_NAME_MAX = 100  # Spotify's web player refuses longer names
PLAYLIST_DESCRIPTION_MAX = 300

SEARCH_TYPES = ("album", "artist", "playlist", "track", "show", "episode", "audiobook")
ALBUM_GROUPS = ("album", "single", "appears_on", "compilation")
TIME_RANGES = ("short_term", "medium_term", "long_term")
REPEAT_STATES = ("track", "context", "off")

SearchType = Literal["album", "artist", "playlist", "track", "show", "episode", "audiobook"]
AlbumGroup = Literal["album", "single", "appears_on", "compilation"]
TimeRange = Literal["short_term", "medium_term", "long_term"]
RepeatState = Literal["track", "context", "off"]


class SpotifyInvalidRequest(SpotifyRequestRejected):
    """The arguments break a limit Spotify documents; nothing was sent."""


@dataclass(frozen=True)
class SpotifyOperation:
    """One Web API operation: its OpenAPI `operationId`, method, path template and the Spotify
    scopes it needs.

    `scopes` are all needed. Spotify's description lists some alternatives in one requirement
    (`playlist-modify-public` for public playlists, `-private` for private ones); a tool may touch
    either kind, so both are kept. For `/me` (`user-read-private`, `user-read-email` only add fields)
    and `/me/library` (one scope per kind of item), the scope the tools rely on is kept.
    `tests/mcpgateway/spotify/test_webapi.py` checks every entry against the OpenAPI file.
    """

    operation_id: str
    method: str
    path: str
    scopes: frozenset[str] = frozenset()


def _op(operation_id: str, method: str, path: str, *scopes: str) -> SpotifyOperation:
    return SpotifyOperation(operation_id, method, path, frozenset(scopes))


_PLAYLIST_WRITE = ("playlist-modify-public", "playlist-modify-private")

OPERATIONS: dict[str, SpotifyOperation] = {
    op.operation_id: op
    for op in (
        _op("search", "GET", "/search"),
        _op("get-track", "GET", "/tracks/{id}"),
        _op("get-an-album", "GET", "/albums/{id}"),
        _op("get-an-albums-tracks", "GET", "/albums/{id}/tracks"),
        _op("get-an-artist", "GET", "/artists/{id}"),
        _op("get-an-artists-albums", "GET", "/artists/{id}/albums"),
        _op("get-current-users-profile", "GET", "/me", "user-read-private"),
        _op("get-playlist", "GET", "/playlists/{playlist_id}"),
        _op("change-playlist-details", "PUT", "/playlists/{playlist_id}", *_PLAYLIST_WRITE),
        _op("get-playlists-items", "GET", "/playlists/{playlist_id}/items", "playlist-read-private"),
        _op("add-items-to-playlist", "POST", "/playlists/{playlist_id}/items", *_PLAYLIST_WRITE),
        _op("reorder-or-replace-playlists-items", "PUT", "/playlists/{playlist_id}/items", *_PLAYLIST_WRITE),
        _op("remove-items-playlist", "DELETE", "/playlists/{playlist_id}/items", *_PLAYLIST_WRITE),
        _op("get-a-list-of-current-users-playlists", "GET", "/me/playlists", "playlist-read-private"),
        _op("create-playlist", "POST", "/me/playlists", *_PLAYLIST_WRITE),
        _op("save-library-items", "PUT", "/me/library", "user-library-modify"),
        _op("remove-library-items", "DELETE", "/me/library", "user-library-modify"),
        _op("check-library-contains", "GET", "/me/library/contains", "user-library-read"),
        _op("get-users-saved-albums", "GET", "/me/albums", "user-library-read"),
        _op("get-users-saved-tracks", "GET", "/me/tracks", "user-library-read"),
        _op("get-followed", "GET", "/me/following", "user-follow-read"),
        _op("get-information-about-the-users-current-playback", "GET", "/me/player", "user-read-playback-state"),
        _op("transfer-a-users-playback", "PUT", "/me/player", "user-modify-playback-state"),
        _op("get-a-users-available-devices", "GET", "/me/player/devices", "user-read-playback-state"),
        _op("get-the-users-currently-playing-track", "GET", "/me/player/currently-playing", "user-read-currently-playing"),
        _op("start-a-users-playback", "PUT", "/me/player/play", "user-modify-playback-state"),
        _op("pause-a-users-playback", "PUT", "/me/player/pause", "user-modify-playback-state"),
        _op("skip-users-playback-to-next-track", "POST", "/me/player/next", "user-modify-playback-state"),
        _op("skip-users-playback-to-previous-track", "POST", "/me/player/previous", "user-modify-playback-state"),
        _op("seek-to-position-in-currently-playing-track", "PUT", "/me/player/seek", "user-modify-playback-state"),
        _op("set-repeat-mode-on-users-playback", "PUT", "/me/player/repeat", "user-modify-playback-state"),
        _op("set-volume-for-users-playback", "PUT", "/me/player/volume", "user-modify-playback-state"),
        _op("toggle-shuffle-for-users-playback", "PUT", "/me/player/shuffle", "user-modify-playback-state"),
        _op("get-recently-played", "GET", "/me/player/recently-played", "user-read-recently-played"),
        _op("get-queue", "GET", "/me/player/queue", "user-read-currently-playing", "user-read-playback-state"),
        _op("add-to-queue", "POST", "/me/player/queue", "user-modify-playback-state"),
        _op("get-users-top-artists", "GET", "/me/top/artists", "user-top-read"),
        _op("get-users-top-tracks", "GET", "/me/top/tracks", "user-top-read"),
    )
}


class AccessTokens(Protocol):
    """Where the client gets the Spotify access token it sends."""

    async def current(self) -> str:
        """A usable access token (refreshed first when it is about to expire)."""

    async def after_rejection(self, rejected: str) -> str:
        """A token to retry with after Spotify answered 401 to `rejected`."""


def _ids(value: str) -> str:
    return quote(value, safe="")


def _query(params: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def _check_range(name: str, value: int | None, low: int, high: int | None = None) -> None:
    if value is None:
        return
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SpotifyInvalidRequest(f"`{name}` must be {bound} (got {value}).", status=None, reason="INVALID_ARGUMENT")


def _check_page(limit: int, offset: int, *, limit_max: int = PAGE_LIMIT_MAX, offset_max: int | None = None) -> None:
    _check_range("limit", limit, 1, limit_max)
    _check_range("offset", offset, 0, offset_max)


def _check_count(name: str, values: list[str] | tuple[str, ...], high: int) -> None:
    if not values:
        raise SpotifyInvalidRequest(f"`{name}` needs at least one item.", reason="INVALID_ARGUMENT")
    if len(values) > high:
        raise SpotifyInvalidRequest(
            f"`{name}` takes at most {high} items per request (got {len(values)}).", reason="INVALID_ARGUMENT"
        )


class SpotifyApi:
    """Spotify's Web API for one person: `SpotifyApi(GrantAccessTokens(grant))` (mcpgateway.spotify.grant_tokens)."""

    def __init__(self, tokens: AccessTokens, *, base_url: str | None = None, timeout: float | None = None):
        self.tokens = tokens
        self.base_url = (base_url or settings.SPOTIFY_API_URL).rstrip("/")
        self.timeout = timeout  # None: SPOTIFY_HTTP_TIMEOUT_SECONDS

    async def request(
        self,
        operation_id: str,
        *,
        path_params: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """Send one operation; the decoded JSON answer, or None for an empty one (204, or 200 with no body)."""
        operation = OPERATIONS[operation_id]
        url = self.base_url + operation.path.format(**{k: _ids(v) for k, v in (path_params or {}).items()})
        query = _query(params or {})
        token = await self.tokens.current()
        refreshed = waited = False
        while True:
            try:
                response = await send_async(
                    WEB_API, operation.method, url, params=query, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout
                )
            except SpotifyRateLimited as held:  # an earlier 429's Retry-After still runs: nothing was sent
                if waited or held.retry_after > RETRY_AFTER_WAIT_LIMIT_SECONDS:
                    raise
                waited = True
                await asyncio.sleep(held.retry_after)
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                logger.info("Spotify answered 401 to %s; refreshing the grant once", operation_id)
                token = await self.tokens.after_rejection(token)
                continue
            if status == 429 and not waited:
                error = error_from_answer(response, service=WEB_API)
                wait = error.retry_after if error.retry_after is not None else RETRY_AFTER_DEFAULT_SECONDS
                if wait <= RETRY_AFTER_WAIT_LIMIT_SECONDS:
                    waited = True
                    logger.info("Spotify rate limited %s; retrying once in %.1fs", operation_id, wait)
                    await asyncio.sleep(wait)
                    continue
                raise error
            if status >= 400:
                raise error_from_answer(response, service=WEB_API)
            if status == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                # Some write operations answer 200 with a bare snapshot id or nothing useful.
                return None

    # --- Catalog -------------------------------------------------------------------------------

    async def search(self, *, q: str, types: list[str], limit: int = 10, offset: int = 0, market: str | None = None) -> dict:
        if not q.strip():
            raise SpotifyInvalidRequest("The search query is empty.", reason="INVALID_ARGUMENT")
        unknown = sorted(set(types) - set(SEARCH_TYPES))
        if unknown or not types:
            raise SpotifyInvalidRequest(
                f"Search types must be among {', '.join(SEARCH_TYPES)} (got {', '.join(unknown) or 'none'}).",
                reason="INVALID_ARGUMENT",
            )
        _check_page(limit, offset, limit_max=SEARCH_LIMIT_MAX, offset_max=SEARCH_OFFSET_MAX)
        return await self.request(
            "search", params={"q": q, "type": list(dict.fromkeys(types)), "limit": limit, "offset": offset, "market": market}
        )

    async def track(self, *, track_id: str, market: str | None = None) -> dict:
        return await self.request("get-track", path_params={"id": track_id}, params={"market": market})

    async def album(self, *, album_id: str, market: str | None = None) -> dict:
        return await self.request("get-an-album", path_params={"id": album_id}, params={"market": market})

    async def album_tracks(self, *, album_id: str, limit: int = 20, offset: int = 0, market: str | None = None) -> dict:
        _check_page(limit, offset)
        return await self.request(
            "get-an-albums-tracks", path_params={"id": album_id}, params={"limit": limit, "offset": offset, "market": market}
        )

    async def artist(self, *, artist_id: str) -> dict:
        return await self.request("get-an-artist", path_params={"id": artist_id})

    async def artist_albums(
        self, *, artist_id: str, include_groups: list[str] | None = None, limit: int = 10, offset: int = 0, market: str | None = None
    ) -> dict:
        _check_page(limit, offset, limit_max=ARTIST_ALBUMS_LIMIT_MAX)
        unknown = sorted(set(include_groups or ()) - set(ALBUM_GROUPS))
        if unknown:
            raise SpotifyInvalidRequest(f"Album groups must be among {', '.join(ALBUM_GROUPS)}.", reason="INVALID_ARGUMENT")
        return await self.request(
            "get-an-artists-albums",
            path_params={"id": artist_id},
            params={"include_groups": include_groups or None, "limit": limit, "offset": offset, "market": market},
        )

    # --- Profile and playlists -------------------------------------------------------------------

    async def me(self) -> dict:
        return await self.request("get-current-users-profile")

    async def playlist(self, *, playlist_id: str, market: str | None = None) -> dict:
        return await self.request("get-playlist", path_params={"playlist_id": playlist_id}, params={"market": market})

    async def playlist_items(self, *, playlist_id: str, limit: int = 20, offset: int = 0, market: str | None = None) -> dict:
        _check_page(limit, offset)
        return await self.request(
            "get-playlists-items",
            path_params={"playlist_id": playlist_id},
            params={"limit": limit, "offset": offset, "market": market, "additional_types": "track,episode"},
        )

    async def my_playlists(self, *, limit: int = 20, offset: int = 0) -> dict:
        _check_page(limit, offset)
        return await self.request("get-a-list-of-current-users-playlists", params={"limit": limit, "offset": offset})

    async def create_playlist(self, *, name: str, public: bool | None = None, collaborative: bool | None = None, description: str | None = None) -> dict:
        body = _playlist_details(name=name, public=public, collaborative=collaborative, description=description)
        if "name" not in body:
            raise SpotifyInvalidRequest("A new playlist needs a name.", reason="INVALID_ARGUMENT")
        return await self.request("create-playlist", body=body)

    async def change_playlist_details(
        self, *, playlist_id: str, name: str | None = None, public: bool | None = None, collaborative: bool | None = None, description: str | None = None
    ) -> None:
        body = _playlist_details(name=name, public=public, collaborative=collaborative, description=description)
        if not body:
            raise SpotifyInvalidRequest("Nothing to change: give a name, description, public or collaborative.", reason="INVALID_ARGUMENT")
        await self.request("change-playlist-details", path_params={"playlist_id": playlist_id}, body=body)

    async def add_playlist_items(self, *, playlist_id: str, uris: list[str], position: int | None = None) -> dict | None:
        _check_count("uris", uris, PLAYLIST_ITEMS_WRITE_MAX)
        _check_range("position", position, 0)
        body: dict[str, Any] = {"uris": list(uris)}
        if position is not None:
            body["position"] = position
        return await self.request("add-items-to-playlist", path_params={"playlist_id": playlist_id}, body=body)

    async def remove_playlist_items(self, *, playlist_id: str, uris: list[str], snapshot_id: str | None = None) -> dict | None:
        _check_count("uris", uris, PLAYLIST_ITEMS_WRITE_MAX)
        body: dict[str, Any] = {"items": [{"uri": uri} for uri in uris]}
        if snapshot_id:
            body["snapshot_id"] = snapshot_id
        return await self.request("remove-items-playlist", path_params={"playlist_id": playlist_id}, body=body)

    async def reorder_playlist_items(
        self, *, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1, snapshot_id: str | None = None
    ) -> dict | None:
        _check_range("range_start", range_start, 0)
        _check_range("insert_before", insert_before, 0)
        _check_range("range_length", range_length, 1)
        body: dict[str, Any] = {"range_start": range_start, "insert_before": insert_before, "range_length": range_length}
        if snapshot_id:
            body["snapshot_id"] = snapshot_id
        return await self.request("reorder-or-replace-playlists-items", path_params={"playlist_id": playlist_id}, body=body)

    # --- Library -------------------------------------------------------------------------------

    async def saved_tracks(self, *, limit: int = 20, offset: int = 0, market: str | None = None) -> dict:
        _check_page(limit, offset)
        return await self.request("get-users-saved-tracks", params={"limit": limit, "offset": offset, "market": market})

    async def saved_albums(self, *, limit: int = 20, offset: int = 0, market: str | None = None) -> dict:
        _check_page(limit, offset)
        return await self.request("get-users-saved-albums", params={"limit": limit, "offset": offset, "market": market})

    async def library_save(self, *, uris: list[str]) -> None:
        _check_count("uris", uris, LIBRARY_URIS_MAX)
        await self.request("save-library-items", params={"uris": list(uris)})

    async def library_remove(self, *, uris: list[str]) -> None:
        _check_count("uris", uris, LIBRARY_URIS_MAX)
        await self.request("remove-library-items", params={"uris": list(uris)})

    async def library_contains(self, *, uris: list[str]) -> list[bool]:
        _check_count("uris", uris, LIBRARY_URIS_MAX)
        answer = await self.request("check-library-contains", params={"uris": list(uris)})
        if not isinstance(answer, list) or len(answer) != len(uris):
            raise SpotifyUnavailable("Spotify sent an unreadable answer to a library check")
        return [bool(x) for x in answer]

    async def followed_artists(self, *, limit: int = 20, after: str | None = None) -> dict:
        _check_range("limit", limit, 1, PAGE_LIMIT_MAX)
        return await self.request("get-followed", params={"type": "artist", "limit": limit, "after": after})

    # --- Player --------------------------------------------------------------------------------

    async def playback_state(self, *, market: str | None = None) -> dict | None:
        return await self.request(
            "get-information-about-the-users-current-playback", params={"market": market, "additional_types": "track,episode"}
        )

    async def currently_playing(self, *, market: str | None = None) -> dict | None:
        return await self.request(
            "get-the-users-currently-playing-track", params={"market": market, "additional_types": "track,episode"}
        )

    async def devices(self) -> list[dict]:
        answer = await self.request("get-a-users-available-devices")
        return list((answer or {}).get("devices") or [])

    async def transfer_playback(self, *, device_id: str, play: bool | None = None) -> None:
        body: dict[str, Any] = {"device_ids": [device_id]}
        if play is not None:
            body["play"] = play
        await self.request("transfer-a-users-playback", body=body)

    async def play(
        self,
        *,
        device_id: str | None = None,
        context_uri: str | None = None,
        uris: list[str] | None = None,
        offset_position: int | None = None,
        offset_uri: str | None = None,
        position_ms: int | None = None,
    ) -> None:
        if context_uri and uris:
            raise SpotifyInvalidRequest("Give either a context URI or track URIs, not both.", reason="INVALID_ARGUMENT")
        if offset_position is not None and offset_uri:
            raise SpotifyInvalidRequest("Give either an offset position or an offset URI, not both.", reason="INVALID_ARGUMENT")
        if uris is not None:
            _check_count("uris", uris, PLAYLIST_ITEMS_WRITE_MAX)
        _check_range("offset_position", offset_position, 0)
        _check_range("position_ms", position_ms, 0)
        body: dict[str, Any] = {}
        if context_uri:
            body["context_uri"] = context_uri
        if uris:
            body["uris"] = list(uris)
        if offset_position is not None:
            body["offset"] = {"position": offset_position}
        elif offset_uri:
            body["offset"] = {"uri": offset_uri}
        if position_ms is not None:
            body["position_ms"] = position_ms
        # With no body Spotify resumes; an empty JSON object means the same, but is kept off the wire.
        await self.request("start-a-users-playback", params={"device_id": device_id}, body=body or None)

    async def pause(self, *, device_id: str | None = None) -> None:
        await self.request("pause-a-users-playback", params={"device_id": device_id})

    async def next(self, *, device_id: str | None = None) -> None:
        await self.request("skip-users-playback-to-next-track", params={"device_id": device_id})

    async def previous(self, *, device_id: str | None = None) -> None:
        await self.request("skip-users-playback-to-previous-track", params={"device_id": device_id})

    async def seek(self, *, position_ms: int, device_id: str | None = None) -> None:
        _check_range("position_ms", position_ms, 0)
        await self.request("seek-to-position-in-currently-playing-track", params={"position_ms": position_ms, "device_id": device_id})

    async def set_volume(self, *, volume_percent: int, device_id: str | None = None) -> None:
        _check_range("volume_percent", volume_percent, 0, 100)
        await self.request("set-volume-for-users-playback", params={"volume_percent": volume_percent, "device_id": device_id})

    async def set_shuffle(self, *, state: bool, device_id: str | None = None) -> None:
        await self.request("toggle-shuffle-for-users-playback", params={"state": state, "device_id": device_id})

    async def set_repeat(self, *, state: str, device_id: str | None = None) -> None:
        if state not in REPEAT_STATES:
            raise SpotifyInvalidRequest(f"Repeat must be one of {', '.join(REPEAT_STATES)}.", reason="INVALID_ARGUMENT")
        await self.request("set-repeat-mode-on-users-playback", params={"state": state, "device_id": device_id})

    async def queue(self) -> dict:
        return await self.request("get-queue") or {}

    async def add_to_queue(self, *, uri: str, device_id: str | None = None) -> None:
        await self.request("add-to-queue", params={"uri": uri, "device_id": device_id})

    async def recently_played(self, *, limit: int = 20, before: int | None = None, after: int | None = None) -> dict:
        _check_range("limit", limit, 1, PAGE_LIMIT_MAX)
        if before is not None and after is not None:
            raise SpotifyInvalidRequest("Give `before` or `after`, not both.", reason="INVALID_ARGUMENT")
        return await self.request("get-recently-played", params={"limit": limit, "before": before, "after": after})

    async def top_items(self, *, kind: Literal["artists", "tracks"], time_range: str = "medium_term", limit: int = 20, offset: int = 0) -> dict:
        if time_range not in TIME_RANGES:
            raise SpotifyInvalidRequest(f"time_range must be one of {', '.join(TIME_RANGES)}.", reason="INVALID_ARGUMENT")
        _check_page(limit, offset)
        operation = "get-users-top-artists" if kind == "artists" else "get-users-top-tracks"
        return await self.request(operation, params={"time_range": time_range, "limit": limit, "offset": offset})


def _playlist_details(*, name: str | None, public: bool | None, collaborative: bool | None, description: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > PLAYLIST_NAME_MAX:
            raise SpotifyInvalidRequest(f"A playlist name is 1 to {PLAYLIST_NAME_MAX} characters.", reason="INVALID_ARGUMENT")
        body["name"] = name
    if description is not None:
        if len(description) > PLAYLIST_DESCRIPTION_MAX:
            raise SpotifyInvalidRequest(f"A playlist description is at most {PLAYLIST_DESCRIPTION_MAX} characters.", reason="INVALID_ARGUMENT")
        body["description"] = description
    if collaborative and public:
        # Spotify: a collaborative playlist must be private.
        raise SpotifyInvalidRequest("A collaborative playlist cannot be public.", reason="INVALID_ARGUMENT")
    if public is not None:
        body["public"] = public
    if collaborative is not None:
        body["collaborative"] = collaborative
    return body


def current_user(*, access_token: str) -> dict:
    """The profile (`/me`) of the account an access token belongs to, synchronously: a new
    connection asks it before any grant exists to give `SpotifyApi` its tokens."""
    response = send(WEB_API, "GET", f"{settings.SPOTIFY_API_URL}/me", headers={"Authorization": f"Bearer {access_token}"})
    if response.status_code != 200:
        raise error_from_answer(response, service=WEB_API)
    return read_answer(response, service=WEB_API, read=_json_object)


def _json_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise TypeError("expected a JSON object")
    return body
