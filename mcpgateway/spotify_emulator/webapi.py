"""The Web API (mounted at /v1): only the operations Spotify still serves after Feb 2026.

Every handler is registered with its OpenAPI operationId; the wrapper applies faults,
checks the bearer token and the operation's scopes (from ``operations.py``), counts the
request and turns ``ApiError`` into Spotify's error shape.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from . import objects as O
from .operations import scopes_for
from .state import BASE62_RE, EDGE_FAILURE_PAGE, EmulatorState


class ApiError(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.reason, self.headers = status, message, reason, headers

    def response(self) -> Response:
        return error_response(self.status, self.message, self.reason, self.headers)


def error_response(status: int, message: str, reason: str | None = None, headers: dict | None = None) -> Response:
    err = {"status": status, "message": message}
    if reason:
        err["reason"] = reason
    return JSONResponse({"error": err}, status_code=status, headers=headers)


def not_found() -> ApiError:
    return ApiError(404, "Resource not found")


def bad(msg: str) -> ApiError:
    return ApiError(400, msg)


INSUFFICIENT_SCOPE = (403, "Insufficient client scope")


@dataclass
class Ctx:
    st: EmulatorState
    request: Request
    user: dict
    scopes: set
    B: str
    body: bytes

    @property
    def q(self):
        return self.request.query_params

    def path(self, name: str) -> str:
        return self.request.path_params[name]

    def json(self, required: bool = False) -> dict:
        if not self.body.strip():
            if required:
                raise bad("Missing request body")
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise bad("Error parsing JSON.")
        if not isinstance(data, dict):
            raise bad("Error parsing JSON.")
        return data

    def need_scope(self, *any_of: str) -> None:
        if not self.scopes.intersection(any_of):
            raise ApiError(*INSUFFICIENT_SCOPE)

    def limit(self, default: int, maximum: int) -> int:
        raw = self.q.get("limit")
        if raw is None:
            return default
        try:
            v = int(raw)
        except ValueError:
            raise bad("Invalid limit")
        if v < 1 or v > maximum:
            raise bad("Invalid limit")
        return v

    def offset(self, maximum: int | None = None) -> int:
        raw = self.q.get("offset")
        if raw is None:
            return 0
        try:
            v = int(raw)
        except ValueError:
            raise bad("Invalid offset")
        if v < 0 or (maximum is not None and v > maximum):
            raise bad("Invalid offset")
        return v


def check_id(id_: str) -> str:
    if not BASE62_RE.match(id_ or ""):
        raise bad("Invalid base62 id")
    return id_


def ok(obj, status: int = 200) -> Response:
    return JSONResponse(obj, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


def empty_ok() -> Response:
    return Response(status_code=200)


ROUTES: list[tuple[str, str, str, object]] = []


def op(method: str, path: str, operation_id: str):
    def deco(fn):
        ROUTES.append((method, path, operation_id, fn))
        return fn
    return deco


def make_endpoint(operation_id: str, fn):
    required = scopes_for(operation_id)

    async def endpoint(request: Request) -> Response:
        st: EmulatorState = request.app.state.emulator
        fault = await st.faults.apply("api", st.stats)
        user_id = None
        if fault == "rate_limited":
            ra = str(st.faults.values["retry_after"])
            resp = error_response(429, "API rate limit exceeded", "QUOTA_EXCEEDED", {"Retry-After": ra})
        elif fault == "fail":
            status = int(st.faults.values["fail_status"])
            if st.faults.values["fail_body"] == "html":
                resp = HTMLResponse(EDGE_FAILURE_PAGE, status_code=status)
            else:
                resp = error_response(status, "Service unavailable" if status == 503 else "Server error")
        else:
            try:
                auth = request.headers.get("authorization", "")
                if not auth.startswith("Bearer ") or not auth[7:].strip():
                    raise ApiError(401, "Invalid access token")
                info, problem = st.lookup_access_token(auth[7:].strip())
                if info is None:
                    raise ApiError(401, problem)
                user_id = info["user_id"]
                scopes = set(info["scope"].split())
                # The security lists are alternatives (public OR private playlists, ...).
                if required and not scopes.intersection(required):
                    raise ApiError(*INSUFFICIENT_SCOPE)
                user = st.data["users"].get(user_id)
                if user is None:  # a reset dropped the user behind a still-known token
                    raise ApiError(401, "Invalid access token")
                body = b"" if request.method == "GET" else await request.body()
                base = f"{request.url.scheme}://{request.url.netloc}/v1"
                resp = fn(Ctx(st, request, user, scopes, base, body))
                if request.method != "GET":
                    st.dirty = True
            except ApiError as e:
                resp = e.response()
        st.stats.record_api(operation_id, resp.status_code, user_id)
        return resp

    endpoint.__name__ = operation_id.replace("-", "_")
    return endpoint


# ------------------------------------------------------------------- catalogue
def get_track(ctx: Ctx, id_: str) -> dict:
    t = ctx.st.catalog.tracks.get(check_id(id_))
    if t is None:
        raise not_found()
    return t


def get_album(ctx: Ctx, id_: str) -> dict:
    a = ctx.st.catalog.albums.get(check_id(id_))
    if a is None:
        raise not_found()
    return a


def get_artist(ctx: Ctx, id_: str) -> dict:
    a = ctx.st.catalog.artists.get(check_id(id_))
    if a is None:
        raise not_found()
    return a


def get_playlist_obj(ctx: Ctx, id_: str) -> dict:
    p = ctx.st.data["playlists"].get(check_id(id_))
    if p is None:
        raise not_found()
    return p


@op("GET", "/tracks/{id}", "get-track")
def h_track(ctx):
    return ok(O.track_full(get_track(ctx, ctx.path("id")), ctx.st.catalog, ctx.B))


@op("GET", "/albums/{id}", "get-an-album")
def h_album(ctx):
    return ok(O.album_full(get_album(ctx, ctx.path("id")), ctx.st.catalog, ctx.B))


@op("GET", "/albums/{id}/tracks", "get-an-albums-tracks")
def h_album_tracks(ctx):
    al = get_album(ctx, ctx.path("id"))
    limit, offset = ctx.limit(20, 50), ctx.offset()
    cat = ctx.st.catalog
    items = [O.track_simple(cat.tracks[t], cat, ctx.B) for t in al["track_ids"][offset:offset + limit]]
    return ok(O.paging(items, len(al["track_ids"]), offset, limit, f"{ctx.B}/albums/{al['id']}/tracks"))


@op("GET", "/artists/{id}", "get-an-artist")
def h_artist(ctx):
    return ok(O.artist_full(get_artist(ctx, ctx.path("id")), ctx.B))


@op("GET", "/artists/{id}/albums", "get-an-artists-albums")
def h_artist_albums(ctx):
    ar = get_artist(ctx, ctx.path("id"))
    groups_raw = ctx.q.get("include_groups")
    groups = set(groups_raw.split(",")) if groups_raw else {"album", "single", "compilation", "appears_on"}
    if not groups <= {"album", "single", "compilation", "appears_on"}:
        raise bad("Invalid include_groups value")
    limit, offset = ctx.limit(5, 10), ctx.offset()
    cat = ctx.st.catalog
    found = []
    for alid in ar["album_ids"]:
        al = cat.albums[alid]
        if al["album_type"] in groups:
            found.append((al, al["album_type"]))
    if "appears_on" in groups:
        found += [(cat.albums[x], "appears_on") for x in cat.appears_on.get(ar["id"], [])]
    found.sort(key=lambda x: x[0]["release_date"], reverse=True)
    items = [{**O.album_simple(al, cat, ctx.B), "album_group": g} for al, g in found[offset:offset + limit]]
    params = {"include_groups": groups_raw} if groups_raw else {}
    return ok(O.paging(items, len(found), offset, limit, f"{ctx.B}/artists/{ar['id']}/albums", params))


def _absent(ctx, name="id"):
    check_id(ctx.path(name))
    raise not_found()  # the emulator carries no podcasts or audiobooks


op("GET", "/shows/{id}", "get-a-show")(_absent)
op("GET", "/shows/{id}/episodes", "get-a-shows-episodes")(_absent)
op("GET", "/episodes/{id}", "get-an-episode")(_absent)
op("GET", "/audiobooks/{id}", "get-an-audiobook")(_absent)
op("GET", "/audiobooks/{id}/chapters", "get-audiobook-chapters")(_absent)
op("GET", "/chapters/{id}", "get-a-chapter")(_absent)


def _empty_saved(path):
    def h(ctx):
        limit, offset = ctx.limit(20, 50), ctx.offset()
        return ok(O.paging([], 0, offset, limit, f"{ctx.B}{path}"))
    return h


op("GET", "/me/audiobooks", "get-users-saved-audiobooks")(_empty_saved("/me/audiobooks"))
op("GET", "/me/episodes", "get-users-saved-episodes")(_empty_saved("/me/episodes"))
op("GET", "/me/shows", "get-users-saved-shows")(_empty_saved("/me/shows"))

# -------------------------------------------------------------------- search
SEARCH_TYPES = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}
TOKEN_RE = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')


def parse_query(q: str):
    filters, words = {}, []
    for m in TOKEN_RE.finditer(q):
        if m.group(1):
            filters[m.group(1).lower()] = m.group(2).lower()
        elif m.group(3):
            filters[m.group(3).lower()] = m.group(4).lower()
        elif m.group(5) is not None:
            words.append(m.group(5).lower())
        else:
            words.append(m.group(6).lower())
    return filters, words


def _year_ok(date: str, spec: str | None) -> bool:
    if not spec:
        return True
    y = int(date[:4])
    try:
        if "-" in spec:
            a, b = spec.split("-", 1)
            return int(a) <= y <= int(b)
        return y == int(spec)
    except ValueError:
        return False


@op("GET", "/search", "search")
def h_search(ctx):
    q = ctx.q.get("q")
    if not q or not q.strip():
        raise bad("No search query")
    types_raw = ctx.q.get("type")
    if not types_raw:
        raise bad("Missing parameter type")
    types = [t.strip() for t in types_raw.split(",")]
    for t in types:
        if t not in SEARCH_TYPES:
            raise bad(f"Bad search type field {t}")
    limit, offset = ctx.limit(5, 10), ctx.offset(1000)
    filters, words = parse_query(q)
    cat, st, B = ctx.st.catalog, ctx.st, ctx.B

    def match(text: str) -> bool:
        return all(w in text for w in words)

    def art_names(ids):
        return " ".join(cat.artists[a]["name"].lower() for a in ids)

    out = {}
    for t in types:
        if t == "track":
            hits = []
            for tr in cat.tracks.values():
                al = cat.albums[tr["album_id"]]
                names = art_names(tr["artist_ids"])
                if "artist" in filters and filters["artist"] not in names:
                    continue
                if "album" in filters and filters["album"] not in al["name"].lower():
                    continue
                if "track" in filters and filters["track"] not in tr["name"].lower():
                    continue
                if "isrc" in filters and filters["isrc"] != tr["isrc"].lower():
                    continue
                if "genre" in filters and not any(filters["genre"] in g for a in tr["artist_ids"] for g in cat.artists[a]["genres"]):
                    continue
                if not _year_ok(al["release_date"], filters.get("year")):
                    continue
                if match(f"{tr['name'].lower()} {names} {al['name'].lower()}"):
                    hits.append(tr)
            hits.sort(key=lambda x: -x["popularity"])
            items = [O.track_full(x, cat, B) for x in hits[offset:offset + limit]]
        elif t == "artist":
            hits = [a for a in cat.artists.values()
                    if ("artist" not in filters or filters["artist"] in a["name"].lower())
                    and ("genre" not in filters or any(filters["genre"] in g for g in a["genres"]))
                    and match(f"{a['name'].lower()} {' '.join(a['genres'])}")]
            hits.sort(key=lambda x: -x["popularity"])
            items = [O.artist_full(x, B) for x in hits[offset:offset + limit]]
        elif t == "album":
            hits = [al for al in cat.albums.values()
                    if ("artist" not in filters or filters["artist"] in art_names(al["artist_ids"]))
                    and ("album" not in filters or filters["album"] in al["name"].lower())
                    and ("upc" not in filters or filters["upc"] == al["upc"])
                    and _year_ok(al["release_date"], filters.get("year"))
                    and match(f"{al['name'].lower()} {art_names(al['artist_ids'])}")]
            hits.sort(key=lambda x: -x["popularity"])
            items = [O.album_simple(x, cat, B) for x in hits[offset:offset + limit]]
        elif t == "playlist":
            hits = [p for p in st.data["playlists"].values()
                    if (p["public"] or p["owner_id"] == ctx.user["id"])
                    and match(f"{p['name'].lower()} {p['description'].lower()}")]
            items = [O.playlist_simple(x, st, B) for x in hits[offset:offset + limit]]
        else:
            hits, items = [], []
        out[t + "s"] = O.paging(items, len(hits), offset, limit, f"{B}/search", {"query": q, "type": t})
    return ok(out)


# ---------------------------------------------------------------------- users
@op("GET", "/me", "get-current-users-profile")
def h_me(ctx):
    return ok(O.private_user(ctx.user, ctx.scopes, ctx.B))


@op("GET", "/me/top/artists", "get-users-top-artists")
def h_top_artists(ctx):
    return _top(ctx, "artists")


@op("GET", "/me/top/tracks", "get-users-top-tracks")
def h_top_tracks(ctx):
    return _top(ctx, "tracks")


def _top(ctx, kind):
    tr = ctx.q.get("time_range", "medium_term")
    ranges = {"short_term": 3, "medium_term": 0, "long_term": 5}
    if tr not in ranges:
        raise bad("Invalid time range")
    limit, offset = ctx.limit(20, 50), ctx.offset()
    ids = ctx.user["top_" + kind]
    k = ranges[tr] % max(1, len(ids))
    ids = ids[k:] + ids[:k]  # each range gets its own, stable, ordering
    cat = ctx.st.catalog
    page = ids[offset:offset + limit]
    items = ([O.artist_full(cat.artists[i], ctx.B) for i in page] if kind == "artists"
             else [O.track_full(cat.tracks[i], cat, ctx.B) for i in page])
    return ok(O.paging(items, len(ids), offset, limit, f"{ctx.B}/me/top/{kind}", {"time_range": tr}))


@op("GET", "/me/following", "get-followed")
def h_followed(ctx):
    if ctx.q.get("type") != "artist":
        raise bad("Bad or missing type. Valid type is: artist")
    limit = ctx.limit(20, 50)
    ids = list(ctx.user["followed_artists"])
    after = ctx.q.get("after")
    start = 0
    if after:
        check_id(after)
        start = ids.index(after) + 1 if after in ids else len(ids)
    page = ids[start:start + limit]
    more = start + limit < len(ids)
    url = f"{ctx.B}/me/following?type=artist&limit={limit}"
    return ok({"artists": {
        "href": url + (f"&after={after}" if after else ""),
        "items": [O.artist_full(ctx.st.catalog.artists[i], ctx.B) for i in page],
        "limit": limit, "next": f"{url}&after={page[-1]}" if more and page else None,
        "cursors": {"after": page[-1] if more and page else None}, "total": len(ids)}})


# -------------------------------------------------------------------- library
LIB_KINDS = {"track", "album", "episode", "show", "audiobook", "user", "playlist", "artist"}
LIB_SCOPES = {  # kind -> (write scope, read scope); /me/library mixes follow, library and playlist scopes
    "track": ("user-library-modify", "user-library-read"), "album": ("user-library-modify", "user-library-read"),
    "episode": ("user-library-modify", "user-library-read"), "show": ("user-library-modify", "user-library-read"),
    "audiobook": ("user-library-modify", "user-library-read"),
    "artist": ("user-follow-modify", "user-follow-read"), "user": ("user-follow-modify", "user-follow-read"),
    "playlist": ("playlist-modify-public", "playlist-read-private"),
}
URI_RE = re.compile(r"^spotify:([a-z]+):([^:\s]+)$")


def parse_library_uris(ctx, write: bool) -> list[tuple[str, str]]:
    raw = ctx.q.get("uris")
    if not raw:
        raise bad("Missing required parameter: uris")
    uris = [u.strip() for u in raw.split(",") if u.strip()]
    if len(uris) > 40:
        raise bad("Too many ids requested")
    out = []
    for u in uris:
        m = URI_RE.match(u)
        if not m:
            raise bad(f"Invalid URI: {u}")
        kind, id_ = m.groups()
        if kind not in LIB_KINDS:
            raise bad(f"Unsupported URI type: {kind}")
        if kind != "user":
            check_id(id_)
        if LIB_SCOPES[kind][0 if write else 1] not in ctx.scopes:
            raise ApiError(*INSUFFICIENT_SCOPE)
        out.append((kind, id_))
    return out


def _lib_exists(ctx, kind, id_) -> bool:
    st = ctx.st
    return {"track": st.catalog.tracks, "album": st.catalog.albums, "artist": st.catalog.artists,
            "user": st.data["users"], "playlist": st.data["playlists"]}.get(kind, {}).__contains__(id_)


LIB_FIELD = {"track": "saved_tracks", "album": "saved_albums", "artist": "followed_artists",
             "user": "followed_users", "playlist": "followed_playlists"}


@op("PUT", "/me/library", "save-library-items")
def h_lib_save(ctx):
    items = parse_library_uris(ctx, True)
    for kind, id_ in items:
        if not _lib_exists(ctx, kind, id_):
            raise not_found()
    u, now = ctx.user, ctx.st.now_ms()
    for kind, id_ in items:
        field = u[LIB_FIELD[kind]]
        if kind == "playlist":
            if ctx.st.data["playlists"][id_]["owner_id"] == u["id"]:
                if id_ not in u["playlists"]:
                    u["playlists"].insert(0, id_)
                continue
            if id_ not in u["playlists"]:
                u["playlists"].insert(0, id_)
                ctx.st.data["playlists"][id_]["followers"] += 1
        field.pop(id_, None)  # re-saving moves it to the top, as in the app
        field[id_] = now
    return empty_ok()


@op("DELETE", "/me/library", "remove-library-items")
def h_lib_remove(ctx):
    u = ctx.user
    for kind, id_ in parse_library_uris(ctx, True):
        if kind in LIB_FIELD:
            u[LIB_FIELD[kind]].pop(id_, None)
        if kind == "playlist" and id_ in u["playlists"]:
            u["playlists"].remove(id_)
    return empty_ok()


@op("GET", "/me/library/contains", "check-library-contains")
def h_lib_contains(ctx):
    u = ctx.user
    out = []
    for kind, id_ in parse_library_uris(ctx, False):
        if kind == "playlist":
            out.append(id_ in u["playlists"])
        else:
            out.append(kind in LIB_FIELD and id_ in u[LIB_FIELD[kind]])
    return ok(out)


def _newest_first(d: dict) -> list[tuple[str, int]]:
    return sorted(d.items(), key=lambda kv: kv[1], reverse=True)


@op("GET", "/me/tracks", "get-users-saved-tracks")
def h_saved_tracks(ctx):
    limit, offset = ctx.limit(20, 50), ctx.offset()
    rows = _newest_first(ctx.user["saved_tracks"])
    cat = ctx.st.catalog
    items = [{"added_at": O.iso(ts), "track": O.track_full(cat.tracks[i], cat, ctx.B)}
             for i, ts in rows[offset:offset + limit]]
    return ok(O.paging(items, len(rows), offset, limit, f"{ctx.B}/me/tracks"))


@op("GET", "/me/albums", "get-users-saved-albums")
def h_saved_albums(ctx):
    limit, offset = ctx.limit(20, 50), ctx.offset()
    rows = _newest_first(ctx.user["saved_albums"])
    cat = ctx.st.catalog
    items = [{"added_at": O.iso(ts), "album": O.album_full(cat.albums[i], cat, ctx.B)}
             for i, ts in rows[offset:offset + limit]]
    return ok(O.paging(items, len(rows), offset, limit, f"{ctx.B}/me/albums"))


# ------------------------------------------------------------------ playlists
def _playlist_write_check(ctx, pl: dict, details: bool = False) -> None:
    u = ctx.user
    allowed = pl["owner_id"] == u["id"] or (
        not details and pl["collaborative"] and pl["id"] in u["playlists"])
    if not allowed:
        raise ApiError(403, "You cannot modify a playlist you don't own")
    ctx.need_scope("playlist-modify-public" if pl["public"] else "playlist-modify-private")


def _bump(ctx, pl) -> dict:
    pl["version"] += 1
    return {"snapshot_id": ctx.st.snapshot_id(pl)}


def _track_uris(ctx, uris) -> list[str]:
    if not isinstance(uris, list) or not all(isinstance(x, str) for x in uris):
        raise bad("Invalid uris")
    out = []
    for u in uris:
        m = URI_RE.match(u)
        if not m or m.group(1) not in ("track", "episode"):
            raise bad(f"Invalid track uri: {u}")
        check_id(m.group(2))
        if m.group(1) != "track" or m.group(2) not in ctx.st.catalog.tracks:
            raise bad("Payload contains a non-existing ID")
        out.append(m.group(2))
    return out


@op("GET", "/me/playlists", "get-a-list-of-current-users-playlists")
def h_my_playlists(ctx):
    limit, offset = ctx.limit(20, 50), ctx.offset()
    pls = [ctx.st.data["playlists"][p] for p in ctx.user["playlists"] if p in ctx.st.data["playlists"]]
    items = [O.playlist_simple(p, ctx.st, ctx.B) for p in pls[offset:offset + limit]]
    return ok(O.paging(items, len(pls), offset, limit, f"{ctx.B}/me/playlists"))


@op("POST", "/me/playlists", "create-playlist")
def h_create_playlist(ctx):
    body = ctx.json(required=True)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad("Missing required field: name")
    public = body.get("public", True)
    collaborative = body.get("collaborative", False)
    description = body.get("description") or ""
    if not isinstance(public, bool) or not isinstance(collaborative, bool) or not isinstance(description, str):
        raise bad("Invalid request body")
    if collaborative and public:
        raise bad("Collaborative playlists can only be private.")
    ctx.need_scope("playlist-modify-public" if public else "playlist-modify-private")
    pl = ctx.st.create_playlist(ctx.user["id"], name, description, public, collaborative)
    return ok(O.playlist_full(pl, ctx.st, ctx.B), 201)


@op("GET", "/playlists/{playlist_id}", "get-playlist")
def h_playlist(ctx):
    return ok(O.playlist_full(get_playlist_obj(ctx, ctx.path("playlist_id")), ctx.st, ctx.B))


@op("PUT", "/playlists/{playlist_id}", "change-playlist-details")
def h_change_playlist(ctx):
    pl = get_playlist_obj(ctx, ctx.path("playlist_id"))
    body = ctx.json(required=True)
    _playlist_write_check(ctx, pl, details=True)
    new = {k: body[k] for k in ("name", "public", "collaborative", "description") if k in body}
    if "name" in new and (not isinstance(new["name"], str) or not new["name"].strip()):
        raise bad("Invalid name")
    for k in ("public", "collaborative"):
        if k in new and not isinstance(new[k], bool):
            raise bad(f"Invalid {k}")
    if new.get("public") is True and not pl["public"]:
        ctx.need_scope("playlist-modify-public")
    if new.get("collaborative", pl["collaborative"]) and new.get("public", pl["public"]):
        raise bad("Collaborative playlists can only be private.")
    pl.update(new)
    _bump(ctx, pl)
    return empty_ok()


@op("GET", "/playlists/{playlist_id}/items", "get-playlists-items")
def h_playlist_items(ctx):
    pl = get_playlist_obj(ctx, ctx.path("playlist_id"))
    limit, offset = ctx.limit(20, 50), ctx.offset()
    items = [O.playlist_item(it, ctx.st, ctx.B) for it in pl["items"][offset:offset + limit]]
    return ok(O.paging(items, len(pl["items"]), offset, limit, f"{ctx.B}/playlists/{pl['id']}/items"))


@op("POST", "/playlists/{playlist_id}/items", "add-items-to-playlist")
def h_add_items(ctx):
    pl = get_playlist_obj(ctx, ctx.path("playlist_id"))
    body = ctx.json()
    _playlist_write_check(ctx, pl)
    uris = body.get("uris")
    if uris is None and ctx.q.get("uris"):
        uris = ctx.q.get("uris").split(",")
    if not uris:
        raise bad("No uris provided")
    if len(uris) > 100:
        raise bad("You can add a maximum of 100 tracks per request.")
    ids = _track_uris(ctx, uris)
    pos = body.get("position", ctx.q.get("position"))
    if pos is None:
        pos = len(pl["items"])
    try:
        pos = int(pos)
    except (TypeError, ValueError):
        raise bad("Invalid position")
    if pos < 0 or pos > len(pl["items"]):
        raise bad("Index out of bounds")
    now = ctx.st.now_ms()
    pl["items"][pos:pos] = [{"track_id": i, "added_at_ms": now, "added_by": ctx.user["id"]} for i in ids]
    return ok(_bump(ctx, pl), 201)


@op("DELETE", "/playlists/{playlist_id}/items", "remove-items-playlist")
def h_remove_items(ctx):
    pl = get_playlist_obj(ctx, ctx.path("playlist_id"))
    body = ctx.json(required=True)
    _playlist_write_check(ctx, pl)
    items = body.get("items", body.get("tracks"))
    if not isinstance(items, list) or not items:
        raise bad("Missing items")
    if len(items) > 100:
        raise bad("Too many tracks requested")
    if not all(isinstance(x, dict) and isinstance(x.get("uri"), str) for x in items):
        raise bad("Invalid items")
    ids = set(_track_uris(ctx, [x["uri"] for x in items]))
    pl["items"] = [it for it in pl["items"] if it["track_id"] not in ids]
    return ok(_bump(ctx, pl))


@op("PUT", "/playlists/{playlist_id}/items", "reorder-or-replace-playlists-items")
def h_reorder_items(ctx):
    pl = get_playlist_obj(ctx, ctx.path("playlist_id"))
    body = ctx.json()
    _playlist_write_check(ctx, pl)
    uris = body.get("uris")
    if uris is None and ctx.q.get("uris") is not None:
        uris = [u for u in ctx.q.get("uris").split(",") if u]
    if uris is not None:
        if len(uris) > 100:
            raise bad("You can add a maximum of 100 tracks per request.")
        ids = _track_uris(ctx, uris)
        now = ctx.st.now_ms()
        pl["items"] = [{"track_id": i, "added_at_ms": now, "added_by": ctx.user["id"]} for i in ids]
        return ok(_bump(ctx, pl))
    try:
        start = int(body["range_start"])
        before = int(body["insert_before"])
        length = int(body.get("range_length", 1))
    except (KeyError, TypeError, ValueError):
        raise bad("range_start and insert_before are required")
    n = len(pl["items"])
    if start < 0 or length < 1 or start + length > n or before < 0 or before > n:
        raise bad("Index out of bounds")
    block = pl["items"][start:start + length]
    rest = pl["items"][:start] + pl["items"][start + length:]
    at = before if before <= start else before - length
    pl["items"] = rest[:at] + block + rest[at:]
    return ok(_bump(ctx, pl))


@op("GET", "/playlists/{playlist_id}/images", "get-playlist-cover")
def h_playlist_images(ctx):
    return ok(get_playlist_obj(ctx, ctx.path("playlist_id"))["images"])


@op("PUT", "/playlists/{playlist_id}/images", "upload-custom-playlist-cover")
def h_playlist_upload(ctx):
    pl = get_playlist_obj(ctx, ctx.path("playlist_id"))
    ctx.need_scope("ugc-image-upload")
    _playlist_write_check(ctx, pl, details=True)
    if len(ctx.body) > 256 * 1024:
        raise ApiError(413, "Payload too large")
    try:
        raw = base64.b64decode(ctx.body, validate=True)
    except (binascii.Error, ValueError):
        raise bad("Image must be base64 encoded JPEG")
    if not raw.startswith(b"\xff\xd8"):
        raise bad("Image must be base64 encoded JPEG")
    pl["images"] = [{"url": f"https://mosaic.scdn.co/640/{O.ext('playlist', pl['id'])['spotify'][-22:]}{pl['version']}",
                     "height": None, "width": None}]
    _bump(ctx, pl)
    return Response(status_code=202)


# --------------------------------------------------------------------- player
def require_premium(ctx) -> None:
    if ctx.user["product"] != "premium":
        raise ApiError(403, "Player command failed: Premium required", "PREMIUM_REQUIRED")


def target_device(ctx) -> dict:
    """The device a command applies to: ?device_id (becomes active) or the active one."""
    u = ctx.user
    dev_id = ctx.q.get("device_id")
    if dev_id:
        d = next((d for d in u["devices"] if d["id"] == dev_id), None)
        if d is None:
            raise ApiError(404, "Device not found")
        if u["player"]["device_id"] != dev_id:
            ctx.st.tick(u)
            u["player"]["device_id"] = dev_id
        return d
    d = next((d for d in u["devices"] if d["id"] == u["player"]["device_id"]), None)
    if d is None:
        raise ApiError(404, "Player command failed: No active device found", "NO_ACTIVE_DEVICE")
    return d


def restriction() -> ApiError:
    return ApiError(403, "Player command failed: Restriction violated", "UNKNOWN")


def _state(ctx, with_device: bool):
    u = ctx.user
    p = ctx.st.tick(u)
    dev = next((d for d in u["devices"] if d["id"] == p["device_id"]), None)
    tr = ctx.st.track_for_uri(p["item_uri"])
    if dev is None or tr is None:
        return None
    out = {}
    if with_device:
        out.update(device=O.device(dev, p["device_id"]), repeat_state=p["repeat"], shuffle_state=p["shuffle"],
                   smart_shuffle=False)
    out.update(context=O.context_obj(p["context_uri"], ctx.B), timestamp=ctx.st.now_ms(),
               progress_ms=p["progress_ms"], is_playing=p["is_playing"],
               item=O.track_full(tr, ctx.st.catalog, ctx.B), currently_playing_type="track",
               actions=O.actions(p))
    return out


@op("GET", "/me/player", "get-information-about-the-users-current-playback")
def h_player(ctx):
    s = _state(ctx, True)
    return ok(s) if s else no_content()


@op("GET", "/me/player/currently-playing", "get-the-users-currently-playing-track")
def h_currently_playing(ctx):
    s = _state(ctx, False)
    return ok(s) if s else no_content()


@op("GET", "/me/player/devices", "get-a-users-available-devices")
def h_devices(ctx):
    p = ctx.user["player"]
    return ok({"devices": [O.device(d, p["device_id"]) for d in ctx.user["devices"]]})


@op("PUT", "/me/player", "transfer-a-users-playback")
def h_transfer(ctx):
    body = ctx.json(required=True)
    require_premium(ctx)
    ids = body.get("device_ids")
    if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
        raise bad("Exactly one device_id must be given")
    u = ctx.user
    if not any(d["id"] == ids[0] for d in u["devices"]):
        raise ApiError(404, "Device not found")
    p = ctx.st.tick(u)
    p["device_id"] = ids[0]
    if body.get("play") is True and p["item_uri"]:
        p["is_playing"] = True
    p["anchor_ms"] = ctx.st.now_ms()
    return no_content()


def _context_tracks(ctx, uri: str) -> list[str]:
    m = URI_RE.match(uri or "")
    if not m or m.group(1) not in ("album", "playlist", "artist"):
        raise bad("Invalid context uri")
    kind, id_ = m.group(1), check_id(m.group(2))
    cat = ctx.st.catalog
    if kind == "album":
        al = cat.albums.get(id_)
        if not al:
            raise not_found()
        return [f"spotify:track:{t}" for t in al["track_ids"]]
    if kind == "playlist":
        pl = ctx.st.data["playlists"].get(id_)
        if not pl:
            raise not_found()
        if not pl["items"]:
            raise restriction()
        return [f"spotify:track:{i['track_id']}" for i in pl["items"]]
    ar = cat.artists.get(id_)
    if not ar:
        raise not_found()
    tracks = [t for t in cat.tracks.values() if id_ in t["artist_ids"]]
    tracks.sort(key=lambda t: -t["popularity"])
    return [f"spotify:track:{t['id']}" for t in tracks[:10]]


@op("PUT", "/me/player/play", "start-a-users-playback")
def h_play(ctx):
    body = ctx.json()
    require_premium(ctx)
    target_device(ctx)
    u, st = ctx.user, ctx.st
    p = st.tick(u)
    ctx_uri, uris, offset = body.get("context_uri"), body.get("uris"), body.get("offset")
    position_ms = body.get("position_ms", 0)
    if not isinstance(position_ms, int) or position_ms < 0:
        raise bad("Invalid position_ms")
    if ctx_uri and uris:
        raise bad("Only one of context_uri and uris may be given")
    if ctx_uri or uris:
        if uris is not None:
            if not isinstance(uris, list) or not uris:
                raise bad("Invalid uris")
            tracks = [f"spotify:track:{i}" for i in _track_uris(ctx, uris)]
            ctx_uri = None
        else:
            tracks = _context_tracks(ctx, ctx_uri)
        start = 0
        if offset is not None:
            if not isinstance(offset, dict):
                raise bad("Invalid offset")
            if "position" in offset:
                pos = offset["position"]
                if not isinstance(pos, int) or pos < 0 or pos >= len(tracks):
                    raise bad("Invalid offset")
                start = pos
            elif "uri" in offset:
                if offset["uri"] not in tracks:
                    raise bad("Invalid offset")
                start = tracks.index(offset["uri"])
        st.start_context(u, ctx_uri, tracks, start, position_ms)
        return no_content()
    if not p["item_uri"]:
        raise restriction()
    p["is_playing"] = True
    if "position_ms" in body:
        p["progress_ms"] = position_ms
    p["anchor_ms"] = st.now_ms()
    st.tick(u)
    return no_content()


@op("PUT", "/me/player/pause", "pause-a-users-playback")
def h_pause(ctx):
    require_premium(ctx)
    target_device(ctx)
    p = ctx.st.tick(ctx.user)
    if not p["is_playing"]:
        raise restriction()  # Spotify refuses to pause what is already paused
    p["is_playing"] = False
    return no_content()


@op("POST", "/me/player/next", "skip-users-playback-to-next-track")
def h_next(ctx):
    require_premium(ctx)
    target_device(ctx)
    if not ctx.user["player"]["item_uri"]:
        raise restriction()
    ctx.st.player_next(ctx.user)
    return no_content()


@op("POST", "/me/player/previous", "skip-users-playback-to-previous-track")
def h_previous(ctx):
    require_premium(ctx)
    target_device(ctx)
    if not ctx.user["player"]["item_uri"]:
        raise restriction()
    ctx.st.player_previous(ctx.user)
    return no_content()


def _int_param(ctx, name: str) -> int:
    raw = ctx.q.get(name)
    if raw is None:
        raise bad(f"Required parameter {name} missing")
    try:
        return int(raw)
    except ValueError:
        raise bad(f"Invalid {name}")


@op("PUT", "/me/player/seek", "seek-to-position-in-currently-playing-track")
def h_seek(ctx):
    require_premium(ctx)
    pos = _int_param(ctx, "position_ms")
    if pos < 0:
        raise bad("Invalid position_ms")
    target_device(ctx)
    u = ctx.user
    p = ctx.st.tick(u)
    if not p["item_uri"]:
        raise restriction()
    p["progress_ms"] = pos
    p["anchor_ms"] = ctx.st.now_ms()
    ctx.st.tick(u)  # past the end: moves on to the next track, like Spotify
    return no_content()


@op("PUT", "/me/player/volume", "set-volume-for-users-playback")
def h_volume(ctx):
    require_premium(ctx)
    vol = _int_param(ctx, "volume_percent")
    if not 0 <= vol <= 100:
        raise bad("Invalid volume value")
    d = target_device(ctx)
    if not d["supports_volume"]:
        raise ApiError(403, "Player command failed: Cannot control device volume", "VOLUME_CONTROL_DISALLOW")
    d["volume_percent"] = vol
    return no_content()


@op("PUT", "/me/player/shuffle", "toggle-shuffle-for-users-playback")
def h_shuffle(ctx):
    require_premium(ctx)
    raw = ctx.q.get("state")
    if raw not in ("true", "false"):
        raise bad("Invalid state")
    target_device(ctx)
    ctx.st.set_shuffle(ctx.user, raw == "true")
    return no_content()


@op("PUT", "/me/player/repeat", "set-repeat-mode-on-users-playback")
def h_repeat(ctx):
    require_premium(ctx)
    raw = ctx.q.get("state")
    if raw not in ("track", "context", "off"):
        raise bad("State must be one of track, context or off")
    target_device(ctx)
    ctx.st.tick(ctx.user)["repeat"] = raw
    return no_content()


@op("GET", "/me/player/queue", "get-queue")
def h_queue(ctx):
    u = ctx.user
    p = ctx.st.tick(u)
    cat = ctx.st.catalog
    tr = ctx.st.track_for_uri(p["item_uri"]) if p["device_id"] else None
    queue = [O.track_full(t, cat, ctx.B) for uri in ctx.st.upcoming(u) if (t := ctx.st.track_for_uri(uri))] if tr else []
    return ok({"currently_playing": O.track_full(tr, cat, ctx.B) if tr else None, "queue": queue})


@op("POST", "/me/player/queue", "add-to-queue")
def h_add_queue(ctx):
    require_premium(ctx)
    uri = ctx.q.get("uri")
    if not uri:
        raise bad("Required parameter uri missing")
    ids = _track_uris(ctx, [uri]) if URI_RE.match(uri) else None
    if ids is None:
        raise bad("Invalid track uri")
    target_device(ctx)
    u = ctx.user
    p = ctx.st.tick(u)
    if not p["item_uri"]:
        # nothing loaded: the queued track starts the session, as the app does
        p.update(item_uri=uri, from_queue=True, is_playing=False, progress_ms=0)
    else:
        u["queue"].append(uri)
    return no_content()


@op("GET", "/me/player/recently-played", "get-recently-played")
def h_recent(ctx):
    limit = ctx.limit(20, 50)
    after, before = ctx.q.get("after"), ctx.q.get("before")
    if after and before:
        raise bad("Only one of after and before may be given")
    rows = list(reversed(ctx.user["recently_played"]))
    try:
        if after:
            rows = [r for r in rows if r["played_at_ms"] > int(after)]
            rows = rows[-limit:]
        elif before:
            rows = [r for r in rows if r["played_at_ms"] < int(before)]
    except ValueError:
        raise bad("Invalid cursor")
    more = len(rows) > limit
    rows = rows[:limit]
    cat = ctx.st.catalog
    items = [{"track": O.track_full(t, cat, ctx.B), "played_at": O.iso(r["played_at_ms"]),
              "context": O.context_obj(r["context_uri"], ctx.B)}
             for r in rows if (t := ctx.st.track_for_uri(r["uri"]))]
    cursors = ({"after": str(rows[0]["played_at_ms"]), "before": str(rows[-1]["played_at_ms"])} if rows else None)
    url = f"{ctx.B}/me/player/recently-played"
    return ok({"href": f"{url}?limit={limit}", "items": items, "limit": limit,
               "next": f"{url}?before={rows[-1]['played_at_ms']}&limit={limit}" if more and rows else None,
               "cursors": cursors})


def routes() -> list[Route]:
    return [Route(path, make_endpoint(opid, fn), methods=[method]) for method, path, opid, fn in ROUTES]
