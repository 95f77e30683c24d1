"""Builders for Spotify JSON objects, field for field as the OpenAPI schemas describe them.

``B`` is the API base URL of this emulator (``http://host:port/v1``): hrefs and paging
``next`` links point back at the emulator so clients can follow them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from .catalog import MARKETS

OPEN = "https://open.spotify.com"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ext(kind: str, id_: str) -> dict:
    return {"spotify": f"{OPEN}/{kind}/{id_}"}


def artist_simple(a: dict, B: str) -> dict:
    return {"external_urls": ext("artist", a["id"]), "href": f"{B}/artists/{a['id']}", "id": a["id"],
            "name": a["name"], "type": "artist", "uri": f"spotify:artist:{a['id']}"}


def artist_full(a: dict, B: str) -> dict:
    return {"external_urls": ext("artist", a["id"]), "followers": {"href": None, "total": a["followers"]},
            "genres": list(a["genres"]), "href": f"{B}/artists/{a['id']}", "id": a["id"],
            "images": a["images"], "name": a["name"], "popularity": a["popularity"], "type": "artist",
            "uri": f"spotify:artist:{a['id']}"}


def album_simple(al: dict, cat, B: str) -> dict:
    return {
        "album_type": al["album_type"], "total_tracks": len(al["track_ids"]), "available_markets": list(MARKETS),
        "external_urls": ext("album", al["id"]), "href": f"{B}/albums/{al['id']}", "id": al["id"],
        "images": al["images"], "name": al["name"], "release_date": al["release_date"],
        "release_date_precision": al["release_date_precision"], "type": "album",
        "uri": f"spotify:album:{al['id']}",
        "artists": [artist_simple(cat.artists[x], B) for x in al["artist_ids"]],
    }


def track_simple(t: dict, cat, B: str) -> dict:
    return {
        "artists": [artist_simple(cat.artists[x], B) for x in t["artist_ids"]],
        "available_markets": list(MARKETS), "disc_number": t["disc_number"], "duration_ms": t["duration_ms"],
        "explicit": t["explicit"], "external_urls": ext("track", t["id"]), "href": f"{B}/tracks/{t['id']}",
        "id": t["id"], "name": t["name"], "preview_url": None, "track_number": t["track_number"],
        "type": "track", "uri": f"spotify:track:{t['id']}", "is_local": False,
    }


def track_full(t: dict, cat, B: str) -> dict:
    d = track_simple(t, cat, B)
    d["album"] = album_simple(cat.albums[t["album_id"]], cat, B)
    d["external_ids"] = {"isrc": t["isrc"]}
    d["popularity"] = t["popularity"]
    return d


def paging(items: list, total: int, offset: int, limit: int, url: str, params: dict | None = None) -> dict:
    def link(off):
        q = {"offset": off, "limit": limit, **(params or {})}
        return f"{url}?{urlencode(q)}"
    return {"href": link(offset), "items": items, "limit": limit,
            "next": link(offset + limit) if offset + limit < total else None,
            "offset": offset, "previous": link(max(0, offset - limit)) if offset > 0 else None, "total": total}


def album_full(al: dict, cat, B: str) -> dict:
    d = album_simple(al, cat, B)
    tracks = [track_simple(cat.tracks[x], cat, B) for x in al["track_ids"][:50]]
    d.update({
        "tracks": paging(tracks, len(al["track_ids"]), 0, 50, f"{B}/albums/{al['id']}/tracks"),
        "copyrights": [{"text": f"© {al['copyright_year']} {al['label']}", "type": "C"},
                       {"text": f"℗ {al['copyright_year']} {al['label']}", "type": "P"}],
        "external_ids": {"upc": al["upc"]}, "genres": [], "label": al["label"], "popularity": al["popularity"],
    })
    return d


def user_ref(u: dict | None, uid: str, B: str, display: bool = True) -> dict:
    d = {"external_urls": ext("user", uid), "href": f"{B}/users/{uid}", "id": uid, "type": "user",
         "uri": f"spotify:user:{uid}"}
    if display:
        d["display_name"] = u["display_name"] if u else uid
    return d


def private_user(u: dict, scopes: set[str], B: str) -> dict:
    d = {"display_name": u["display_name"], "external_urls": ext("user", u["id"]),
         "followers": {"href": None, "total": u["followers"]}, "href": f"{B}/users/{u['id']}", "id": u["id"],
         "images": [] if u.get("bulk") else [{"url": f"https://i.scdn.co/image/ab6775700000ee85{u['id'].encode().hex()[:24]}",
                                              "height": 300, "width": 300}],
         "type": "user", "uri": f"spotify:user:{u['id']}"}
    # Spotify only reveals these with the matching scopes
    if "user-read-email" in scopes:
        d["email"] = u["email"]
    if "user-read-private" in scopes:
        d["country"] = u["country"]
        d["product"] = u["product"]
        d["explicit_content"] = {"filter_enabled": False, "filter_locked": False}
    return d


def playlist_item(it: dict, st, B: str) -> dict:
    tr = track_full(st.catalog.tracks[it["track_id"]], st.catalog, B)
    by = it["added_by"]
    return {"added_at": iso(it["added_at_ms"]),
            "added_by": user_ref(st.data["users"].get(by), by, B, display=False),
            "is_local": False, "item": tr, "track": tr}


def playlist_simple(pl: dict, st, B: str) -> dict:
    owner = st.data["users"].get(pl["owner_id"])
    ref = {"href": f"{B}/playlists/{pl['id']}/items", "total": len(pl["items"])}
    return {
        "collaborative": pl["collaborative"], "description": pl["description"],
        "external_urls": ext("playlist", pl["id"]), "href": f"{B}/playlists/{pl['id']}", "id": pl["id"],
        "images": pl["images"], "name": pl["name"], "owner": user_ref(owner, pl["owner_id"], B),
        "public": pl["public"], "snapshot_id": st.snapshot_id(pl), "items": ref, "tracks": dict(ref),
        "type": "playlist", "uri": f"spotify:playlist:{pl['id']}",
    }


def playlist_full(pl: dict, st, B: str) -> dict:
    d = playlist_simple(pl, st, B)
    items = [playlist_item(it, st, B) for it in pl["items"][:100]]
    page = paging(items, len(pl["items"]), 0, 100, f"{B}/playlists/{pl['id']}/items")
    d["items"] = page
    d["tracks"] = dict(page)
    d["followers"] = {"href": None, "total": pl["followers"]}
    return d


def device(d: dict, active_id: str | None) -> dict:
    return {"id": d["id"], "is_active": d["id"] == active_id, "is_private_session": d["is_private_session"],
            "is_restricted": d["is_restricted"], "name": d["name"], "type": d["type"],
            "volume_percent": d["volume_percent"], "supports_volume": d["supports_volume"]}


def context_obj(uri: str | None, B: str) -> dict | None:
    if not uri:
        return None
    kind, id_ = uri.split(":")[1:3]
    return {"type": kind, "href": f"{B}/{kind}s/{id_}", "external_urls": ext(kind, id_), "uri": uri}


def actions(p: dict) -> dict:
    # Spotify lists only the disallowed actions, each set to true.
    dis = {}
    if p["is_playing"]:
        dis["resuming"] = True
    else:
        dis["pausing"] = True
    if p["index"] == 0 and not p["from_queue"]:
        dis["skipping_prev"] = True
    return {"disallows": dis}
