"""Reading the Spotify ids and URIs a model passes in, before anything is sent to Spotify.

Models hand over ids in every form they have seen: a bare id, a `spotify:track:<id>` URI or an
`https://open.spotify.com/track/<id>?si=...` link. All three are accepted; anything else is refused
with a message saying what a valid value looks like.
"""

from __future__ import annotations

import re

from .errors import ToolProblem

# Spotify ids are 22 base62 characters (https://developer.spotify.com/documentation/web-api/concepts/spotify-uris-ids).
_ID = r"[0-9A-Za-z]{22}"
_ID_RE = re.compile(rf"^{_ID}$")
_URI_RE = re.compile(rf"^spotify:(?P<kind>[a-z]+):(?P<id>{_ID})$")
_URL_RE = re.compile(rf"^https?://open\.spotify\.com/(?:intl-[a-zA-Z-]+/)?(?P<kind>[a-z]+)/(?P<id>{_ID})(?:[/?#].*)?$")
# Device ids are opaque to us (40 hex characters today); refuse only what cannot be one.
_DEVICE_RE = re.compile(r"^[0-9A-Za-z_.:-]{1,128}$")


def _split(value: str) -> tuple[str | None, str] | None:
    value = value.strip()
    if _ID_RE.match(value):
        return None, value
    match = _URI_RE.match(value) or _URL_RE.match(value)
    if match:
        return match.group("kind"), match.group("id")
    return None


def spotify_id(value: str, kind: str, *, argument: str) -> str:
    """The bare id of a `kind` ("track", "album", ...) given as an id, URI or open.spotify.com link."""
    parts = _split(value or "")
    if parts is None or (parts[0] is not None and parts[0] != kind):
        raise ToolProblem(
            f"`{argument}` must be a Spotify {kind} id (22 letters and digits), a spotify:{kind}:<id> URI "
            f"or an open.spotify.com/{kind}/<id> link; got {_shown(value)}.",
            kind="invalid_input",
        )
    return parts[1]


def spotify_uri(value: str, kinds: tuple[str, ...], *, argument: str) -> str:
    """A `spotify:<kind>:<id>` URI of one of `kinds`; a bare id is accepted when only one kind is."""
    parts = _split(value or "")
    if parts is not None:
        kind, id_ = parts
        if kind is None and len(kinds) == 1:
            kind = kinds[0]
        if kind in kinds:
            return f"spotify:{kind}:{id_}"
    examples = " or ".join(f"spotify:{k}:<id>" for k in kinds)
    raise ToolProblem(
        f"`{argument}` must be a Spotify URI like {examples} (or an open.spotify.com link to one); got {_shown(value)}.",
        kind="invalid_input",
    )


def spotify_uris(values: list[str], kinds: tuple[str, ...], *, argument: str) -> list[str]:
    return [spotify_uri(v, kinds, argument=argument) for v in values]


def device_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if not _DEVICE_RE.match(value):
        raise ToolProblem(
            f"`device_id` must be a device id from get_devices (not a device name); got {_shown(value)}.", kind="invalid_input"
        )
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
