"""What the Spotify tools return: Spotify's objects trimmed to what a model needs to answer and to
call the next tool (ids, URIs, names, artists, album, duration), not Spotify's whole payloads.

Every model is the output schema of the tools returning it. `from_spotify` reads Spotify's JSON
defensively: since February 2026 Spotify leaves out several fields (popularity, followers, ...)
for some apps, so everything but the name is optional.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


def _image(obj: dict) -> str | None:
    images = obj.get("images") or []
    return images[0].get("url") if images and isinstance(images[0], dict) else None


def _total(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("total")
    return value if isinstance(value, int) else None


class ArtistRef(BaseModel):
    id: str | None = None
    uri: str | None = None
    name: str = ""

    @classmethod
    def from_spotify(cls, obj: dict) -> ArtistRef:
        return cls(id=obj.get("id"), uri=obj.get("uri"), name=obj.get("name") or "")


class AlbumRef(BaseModel):
    id: str | None = None
    uri: str | None = None
    name: str = ""
    release_date: str | None = None

    @classmethod
    def from_spotify(cls, obj: dict) -> AlbumRef:
        return cls(id=obj.get("id"), uri=obj.get("uri"), name=obj.get("name") or "", release_date=obj.get("release_date"))


class Track(BaseModel):
    type: Literal["track"] = "track"
    id: str | None = Field(None, description="22-character Spotify id; None for a local file.")
    uri: str | None = Field(None, description="spotify:track:<id>; use it to play, queue or save the track.")
    name: str = ""
    artists: list[ArtistRef] = Field(default_factory=list)
    album: AlbumRef | None = None
    duration_ms: int | None = None
    explicit: bool | None = None
    track_number: int | None = None
    is_playable: bool | None = None

    @classmethod
    def from_spotify(cls, obj: dict, *, with_album: bool = True) -> Track:
        album = obj.get("album") if with_album else None
        return cls(
            id=obj.get("id"),
            uri=obj.get("uri"),
            name=obj.get("name") or "",
            artists=[ArtistRef.from_spotify(a) for a in obj.get("artists") or [] if isinstance(a, dict)],
            album=AlbumRef.from_spotify(album) if isinstance(album, dict) else None,
            duration_ms=obj.get("duration_ms"),
            explicit=obj.get("explicit"),
            track_number=obj.get("track_number"),
            is_playable=obj.get("is_playable"),
        )


class Episode(BaseModel):
    type: Literal["episode"] = "episode"
    id: str | None = None
    uri: str | None = Field(None, description="spotify:episode:<id>")
    name: str = ""
    show: str | None = Field(None, description="Name of the podcast show.")
    duration_ms: int | None = None
    release_date: str | None = None

    @classmethod
    def from_spotify(cls, obj: dict) -> Episode:
        show = obj.get("show") if isinstance(obj.get("show"), dict) else {}
        return cls(
            id=obj.get("id"),
            uri=obj.get("uri"),
            name=obj.get("name") or "",
            show=show.get("name"),
            duration_ms=obj.get("duration_ms"),
            release_date=obj.get("release_date"),
        )


PlayableItem = Annotated[Track | Episode, Field(discriminator="type")]


def playable_from(obj: Any) -> Track | Episode | None:
    if not isinstance(obj, dict):
        return None
    if obj.get("type") == "episode":
        return Episode.from_spotify(obj)
    return Track.from_spotify(obj)


class Album(BaseModel):
    id: str | None = None
    uri: str | None = Field(None, description="spotify:album:<id>; play it as a context or save it.")
    name: str = ""
    album_type: str | None = Field(None, description="album, single or compilation")
    artists: list[ArtistRef] = Field(default_factory=list)
    release_date: str | None = None
    total_tracks: int | None = None
    image_url: str | None = None

    @classmethod
    def from_spotify(cls, obj: dict) -> Album:
        return cls(
            id=obj.get("id"),
            uri=obj.get("uri"),
            name=obj.get("name") or "",
            album_type=obj.get("album_type"),
            artists=[ArtistRef.from_spotify(a) for a in obj.get("artists") or [] if isinstance(a, dict)],
            release_date=obj.get("release_date"),
            total_tracks=obj.get("total_tracks"),
            image_url=_image(obj),
        )


class AlbumDetails(Album):
    label: str | None = None
    tracks: list[Track] = Field(default_factory=list, description="The first tracks; use get_album_tracks for the rest.")
    tracks_next_offset: int | None = Field(None, description="Pass as offset to get_album_tracks for more tracks; None when all are here.")

    @classmethod
    def from_spotify(cls, obj: dict) -> AlbumDetails:
        base = Album.from_spotify(obj)
        page = obj.get("tracks") if isinstance(obj.get("tracks"), dict) else {}
        tracks = [Track.from_spotify(t, with_album=False) for t in page.get("items") or [] if isinstance(t, dict)]
        return cls(
            **base.model_dump(),
            label=obj.get("label"),
            tracks=tracks,
            tracks_next_offset=_next_offset(page, len(tracks)),
        )


class Artist(BaseModel):
    id: str | None = None
    uri: str | None = Field(None, description="spotify:artist:<id>; play it as a context.")
    name: str = ""
    genres: list[str] = Field(default_factory=list)
    followers: int | None = None
    popularity: int | None = None
    image_url: str | None = None

    @classmethod
    def from_spotify(cls, obj: dict) -> Artist:
        return cls(
            id=obj.get("id"),
            uri=obj.get("uri"),
            name=obj.get("name") or "",
            genres=list(obj.get("genres") or []),
            followers=_total(obj.get("followers")),
            popularity=obj.get("popularity"),
            image_url=_image(obj),
        )


class UserRef(BaseModel):
    id: str | None = None
    display_name: str | None = None

    @classmethod
    def from_spotify(cls, obj: Any) -> UserRef | None:
        if not isinstance(obj, dict):
            return None
        return cls(id=obj.get("id"), display_name=obj.get("display_name"))


class Playlist(BaseModel):
    id: str | None = None
    uri: str | None = Field(None, description="spotify:playlist:<id>; play it as a context.")
    name: str = ""
    description: str | None = None
    owner: UserRef | None = None
    public: bool | None = None
    collaborative: bool | None = None
    total_items: int | None = None
    snapshot_id: str | None = Field(None, description="The playlist's version; pass it to playlist edits to apply them to this version.")
    image_url: str | None = None

    @classmethod
    def from_spotify(cls, obj: dict) -> Playlist:
        return cls(
            id=obj.get("id"),
            uri=obj.get("uri"),
            name=obj.get("name") or "",
            description=obj.get("description") or None,
            owner=UserRef.from_spotify(obj.get("owner")),
            public=obj.get("public"),
            collaborative=obj.get("collaborative"),
            # Spotify renamed the playlist's `tracks` page to `items` in February 2026.
            total_items=_total(obj.get("items")) if obj.get("items") is not None else _total(obj.get("tracks")),
            snapshot_id=obj.get("snapshot_id"),
            image_url=_image(obj),
        )


class Show(BaseModel):
    id: str | None = None
    uri: str | None = None
    name: str = ""
    publisher: str | None = None
    total_episodes: int | None = None

    @classmethod
    def from_spotify(cls, obj: dict) -> Show:
        return cls(id=obj.get("id"), uri=obj.get("uri"), name=obj.get("name") or "", publisher=obj.get("publisher"), total_episodes=obj.get("total_episodes"))


class Audiobook(BaseModel):
    id: str | None = None
    uri: str | None = None
    name: str = ""
    authors: list[str] = Field(default_factory=list)

    @classmethod
    def from_spotify(cls, obj: dict) -> Audiobook:
        authors = [a.get("name", "") for a in obj.get("authors") or [] if isinstance(a, dict)]
        return cls(id=obj.get("id"), uri=obj.get("uri"), name=obj.get("name") or "", authors=authors)


def _next_offset(page: dict, count: int) -> int | None:
    if not page.get("next"):
        return None
    offset = page.get("offset") if isinstance(page.get("offset"), int) else 0
    return offset + (count or page.get("limit") or 0)


class Page(BaseModel, Generic[T]):
    """One page of a longer list."""

    items: list[T] = Field(default_factory=list)
    total: int | None = Field(None, description="How many there are in all.")
    offset: int = 0
    next_offset: int | None = Field(None, description="Pass as `offset` to get the next page; None on the last page.")

    @classmethod
    def from_spotify(cls, page: Any, convert) -> Page:
        page = page if isinstance(page, dict) else {}
        items = [x for x in (convert(i) for i in page.get("items") or [] if isinstance(i, dict)) if x is not None]
        raw_count = len(page.get("items") or [])
        return cls(items=items, total=page.get("total"), offset=page.get("offset") or 0, next_offset=_next_offset(page, raw_count))


class SearchResults(BaseModel):
    tracks: Page[Track] | None = None
    albums: Page[Album] | None = None
    artists: Page[Artist] | None = None
    playlists: Page[Playlist] | None = None
    shows: Page[Show] | None = None
    episodes: Page[Episode] | None = None
    audiobooks: Page[Audiobook] | None = None


class PlaylistItem(BaseModel):
    position: int = Field(description="Zero-based position in the playlist (for reorder_playlist_items).")
    added_at: str | None = None
    added_by: str | None = Field(None, description="Spotify user id of who added it.")
    item: PlayableItem | None = Field(None, description="None when the item is no longer available.")


class Profile(BaseModel):
    id: str
    uri: str | None = None
    display_name: str | None = None
    email: str | None = None
    country: str | None = None
    product: str | None = Field(None, description="premium, free, ...: playback control needs premium.")
    followers: int | None = None

    @classmethod
    def from_spotify(cls, obj: dict) -> Profile:
        return cls(
            id=obj.get("id") or "",
            uri=obj.get("uri"),
            display_name=obj.get("display_name"),
            email=obj.get("email"),
            country=obj.get("country"),
            product=obj.get("product"),
            followers=_total(obj.get("followers")),
        )


class Device(BaseModel):
    id: str | None = Field(None, description="Pass as device_id to play on or transfer to this device.")
    name: str = ""
    type: str | None = Field(None, description="Computer, Smartphone, Speaker, ...")
    is_active: bool = False
    volume_percent: int | None = None
    supports_volume: bool | None = None
    is_restricted: bool | None = Field(None, description="True when the Web API cannot control this device.")

    @classmethod
    def from_spotify(cls, obj: dict) -> Device:
        return cls(
            id=obj.get("id"),
            name=obj.get("name") or "",
            type=obj.get("type"),
            is_active=bool(obj.get("is_active")),
            volume_percent=obj.get("volume_percent"),
            supports_volume=obj.get("supports_volume"),
            is_restricted=obj.get("is_restricted"),
        )


class Devices(BaseModel):
    devices: list[Device] = Field(default_factory=list)


def _context(obj: dict) -> tuple[str | None, str | None]:
    context = obj.get("context") if isinstance(obj.get("context"), dict) else {}
    return context.get("uri"), context.get("type")


class PlaybackState(BaseModel):
    active: bool = Field(description="False when no device is playing or paused for this account.")
    is_playing: bool = False
    item: PlayableItem | None = None
    progress_ms: int | None = None
    device: Device | None = None
    shuffle: bool | None = None
    repeat: str | None = Field(None, description="off, track or context")
    context_uri: str | None = Field(None, description="The album, artist or playlist being played, if any.")
    context_type: str | None = None

    @classmethod
    def from_spotify(cls, obj: dict | None) -> PlaybackState:
        if not obj:
            return cls(active=False)
        context_uri, context_type = _context(obj)
        device = obj.get("device")
        return cls(
            active=True,
            is_playing=bool(obj.get("is_playing")),
            item=playable_from(obj.get("item")),
            progress_ms=obj.get("progress_ms"),
            device=Device.from_spotify(device) if isinstance(device, dict) else None,
            shuffle=obj.get("shuffle_state"),
            repeat=obj.get("repeat_state"),
            context_uri=context_uri,
            context_type=context_type,
        )


class NowPlaying(BaseModel):
    is_playing: bool = False
    item: PlayableItem | None = Field(None, description="None when nothing is playing.")
    progress_ms: int | None = None
    context_uri: str | None = None

    @classmethod
    def from_spotify(cls, obj: dict | None) -> NowPlaying:
        if not obj:
            return cls()
        context_uri, _ = _context(obj)
        return cls(
            is_playing=bool(obj.get("is_playing")),
            item=playable_from(obj.get("item")),
            progress_ms=obj.get("progress_ms"),
            context_uri=context_uri,
        )


class Queue(BaseModel):
    currently_playing: PlayableItem | None = None
    queue: list[PlayableItem] = Field(default_factory=list, description="What plays next, in order.")

    @classmethod
    def from_spotify(cls, obj: dict | None) -> Queue:
        obj = obj or {}
        return cls(
            currently_playing=playable_from(obj.get("currently_playing")),
            queue=[x for x in (playable_from(i) for i in obj.get("queue") or []) if x is not None],
        )


class PlayedTrack(BaseModel):
    played_at: str | None = None
    track: Track
    context_uri: str | None = None


class RecentlyPlayed(BaseModel):
    items: list[PlayedTrack] = Field(default_factory=list, description="Newest first.")
    next_before: int | None = Field(None, description="Pass as `before` to get older plays; None when there are no more.")


class FollowedArtists(BaseModel):
    items: list[Artist] = Field(default_factory=list)
    total: int | None = None
    next_after: str | None = Field(None, description="Pass as `after` to get the next page; None on the last page.")


class SavedTrack(BaseModel):
    added_at: str | None = None
    track: Track


class SavedAlbum(BaseModel):
    added_at: str | None = None
    album: Album


class LibraryStatus(BaseModel):
    uri: str
    saved: bool


class LibraryCheck(BaseModel):
    items: list[LibraryStatus] = Field(default_factory=list)


class LibraryChange(BaseModel):
    uris: list[str]
    saved: bool = Field(description="True after a save, False after a removal.")


class PlaylistChange(BaseModel):
    playlist_id: str
    snapshot_id: str | None = Field(None, description="The playlist's new version.")


class PlayerAction(BaseModel):
    done: bool = True
    message: str
