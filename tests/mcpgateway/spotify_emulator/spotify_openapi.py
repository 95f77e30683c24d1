"""Response validation against Spotify's OpenAPI file, plus the checks that file lacks.

The file is loose (most schemas have no ``required``; ErrorObject has no ``reason``), so
``strict_check`` adds what we know Spotify always sends.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_core import OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse

SPEC_PATH = "/work/shared/spotify/spotify-web-api.openapi.yml"


def _fix_discriminators(node):
    # The file's `discriminator: {propertyName: type}` has no mapping, so validators look
    # for schemas literally named "track"/"episode" and fail on every valid body.
    if isinstance(node, dict):
        d = node.get("discriminator")
        if isinstance(d, dict) and d.get("propertyName") == "type" and "mapping" not in d:
            d["mapping"] = {"track": "#/components/schemas/TrackObject",
                            "episode": "#/components/schemas/EpisodeObject"}
        for v in node.values():
            _fix_discriminators(v)
    elif isinstance(node, list):
        for v in node:
            _fix_discriminators(v)


@functools.cache
def spec_dict() -> dict:
    with open(SPEC_PATH) as f:
        return yaml.safe_load(f)


# Fields real Spotify sends as null that the file forgets to mark nullable.
KNOWN_NULLABLE = [("CursorPagingObject", "next"), ("CursorObject", "after"), ("CursorObject", "before"),
                  ("PlayHistoryObject", "context"), ("CurrentlyPlayingObject", "context"),
                  ("CurrentlyPlayingContextObject", "context")]


@functools.cache
def openapi() -> OpenAPI:
    spec = copy.deepcopy(spec_dict())
    _fix_discriminators(spec)
    schemas = spec["components"]["schemas"]
    for name, prop in KNOWN_NULLABLE:
        target = schemas[name]["properties"][prop]
        refs = [x["$ref"] for x in target.get("allOf", []) if "$ref" in x]
        if refs:  # allOf would still reject null, so inline the referenced schema
            target = copy.deepcopy(schemas[refs[0].rsplit("/", 1)[1]])
        target["nullable"] = True
        schemas[name]["properties"][prop] = target
    # /me/library's 400 is declared as a bare ErrorObject; Spotify wraps it in {"error": ...}
    for item in spec["paths"].values():
        for op in item.values():
            for resp in (op.get("responses") or {}).values() if isinstance(op, dict) else ():
                media = resp.get("content", {}).get("application/json", {})
                if media.get("schema") == {"$ref": "#/components/schemas/ErrorObject"}:
                    media["schema"] = {"type": "object", "required": ["error"],
                                       "properties": {"error": {"$ref": "#/components/schemas/ErrorObject"}}}
    return OpenAPI.from_dict(spec)


ENTITY_TYPES = {"track", "album", "artist", "playlist", "user"}
PAGING_KEYS = {"href", "items", "limit", "next", "offset", "previous", "total"}
B62 = re.compile(r"^[0-9A-Za-z]{22}$")


def strict_check(body, path="$"):
    """Recursively assert required keys on entity, paging and error objects."""
    if isinstance(body, list):
        for i, x in enumerate(body):
            strict_check(x, f"{path}[{i}]")
        return
    if not isinstance(body, dict):
        return
    t = body.get("type")
    is_ref = set(body) <= {"type", "href", "external_urls", "uri"}  # context objects
    if t in ENTITY_TYPES and not is_ref:
        for k in ("id", "uri", "type", "href", "external_urls"):
            assert k in body, f"{path}: {t} object lacks {k}"
        assert body["uri"] == f"spotify:{t}:{body['id']}", f"{path}: uri/id mismatch"
        if t != "user":
            assert isinstance(body.get("name"), str) and body["name"], f"{path}: {t} lacks name"
            assert B62.match(body["id"]), f"{path}: id not base62"
            assert body["external_urls"]["spotify"].startswith("https://open.spotify.com/"), path
        if t == "track":
            for k in ("duration_ms", "artists", "track_number", "disc_number", "explicit", "is_local"):
                assert k in body, f"{path}: track lacks {k}"
            assert body["artists"], f"{path}: track without artists"
        if t == "album":
            for k in ("album_type", "total_tracks", "images", "release_date", "release_date_precision", "artists"):
                assert k in body, f"{path}: album lacks {k}"
        if t == "playlist":
            for k in ("owner", "snapshot_id", "public", "collaborative", "items"):
                assert k in body, f"{path}: playlist lacks {k}"
    if "items" in body and isinstance(body["items"], list) and "cursors" not in body and "limit" in body:
        missing = PAGING_KEYS - set(body)
        assert not missing, f"{path}: paging object lacks {missing}"
    for k, v in body.items():
        strict_check(v, f"{path}.{k}")


def check_error(resp, status: int | None = None, reason: str | None = None, message: str | None = None):
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err["status"] == resp.status_code, body
    assert isinstance(err["message"], str) and err["message"], body
    if status is not None:
        assert resp.status_code == status, (resp.status_code, body)
    if reason is not None:
        assert err.get("reason") == reason, body
    if message is not None:
        assert err["message"] == message, body
    return err


# Statuses Spotify documents in prose but the file does not declare.
KNOWN_UNDECLARED = {("GET", "/v1/me/player/currently-playing", 204)}


def validate(method: str, url: str, resp) -> None:
    """Validate an httpx/TestClient response to a /v1 request against the OpenAPI operation."""
    parts = urlsplit(str(url))
    path = parts.path
    assert path.startswith("/v1/"), path
    req = MockRequest("https://api.spotify.com", method.lower(), path,
                      args=parse_qsl(parts.query, keep_blank_values=True))
    ctype = resp.headers.get("content-type", "").split(";")[0]
    mock = MockResponse(resp.content, status_code=resp.status_code,
                        headers=dict(resp.headers), content_type=ctype or "application/json")
    if resp.status_code >= 400:
        check_error(resp)
    elif resp.content:
        strict_check(json.loads(resp.content))
    try:
        openapi().validate_response(req, mock)
    except ResponseNotFound:
        if (method.upper(), path, resp.status_code) in KNOWN_UNDECLARED or (
                path.startswith("/v1/me/player/") and resp.status_code == 204 and method.upper() != "GET"):
            return
        # The file declares few error statuses (no 404 on most operations, ...):
        # check_error above already enforced Spotify's error shape.
        assert resp.status_code >= 400, f"{method} {path}: undeclared status {resp.status_code}"
