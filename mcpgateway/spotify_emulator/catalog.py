"""Deterministic seed data: a small fictional catalogue and five users.

Everything is derived from a fixed RNG seed and hashed ids so that every run (and every
test) sees the same ids; tests and docs may therefore hard-code e.g. ``alice``.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MARKETS = ["US", "GB", "SE", "DE", "FR", "ES", "NL", "JP", "BR", "CA", "AU", "MX"]


def b62id(key: str) -> str:
    """A 22-character base62 id, stable for a given key (Spotify ids are 22 base62 chars)."""
    n = int.from_bytes(hashlib.sha256(key.encode()).digest()[:17], "big")
    out = []
    for _ in range(22):
        n, r = divmod(n, 62)
        out.append(BASE62[r])
    return "".join(out)


def hexid(key: str, n: int = 40) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:n]


def images(key: str, sizes=(640, 300, 64)) -> list[dict]:
    h = hexid(key, 24)
    prefix = {640: "ab67616d0000b273", 300: "ab67616d00001e02", 64: "ab67616d00004851"}
    return [
        {"url": f"https://i.scdn.co/image/{prefix.get(s, 'ab6761610000e5eb')}{h}", "height": s, "width": s}
        for s in sizes
    ]


@dataclass
class Catalog:
    artists: dict[str, dict] = field(default_factory=dict)
    albums: dict[str, dict] = field(default_factory=dict)
    tracks: dict[str, dict] = field(default_factory=dict)
    # artist id -> list of album ids where the artist only features (album_group appears_on)
    appears_on: dict[str, list[str]] = field(default_factory=dict)


ARTISTS = [
    ("Aurora Vale", ["indie pop", "dream pop"]),
    ("The Midnight Ferns", ["indie rock", "garage rock"]),
    ("Kasimir Blue", ["jazz", "nu jazz"]),
    ("Solenne", ["french pop", "chanson"]),
    ("Deltaform", ["techno", "minimal techno"]),
    ("Marisol Reyes", ["latin pop", "reggaeton"]),
    ("Copper Hollow", ["folk", "americana"]),
    ("Yuki Tanabe", ["j-pop", "city pop"]),
    ("Grey Harbour", ["post-rock", "ambient"]),
    ("Lil Mercury", ["hip hop", "trap"]),
    ("Orchestra of the Northern Sky", ["classical", "modern classical"]),
    ("Fennel & Rye", ["soul", "neo soul"]),
]
ADJ = ["Golden", "Electric", "Silent", "Paper", "Velvet", "Midnight", "Neon", "Hollow", "Crimson",
       "Distant", "Gentle", "Broken", "Wild", "Northern", "Static", "Summer", "Glass", "Lonely",
       "Bright", "Slow", "Hidden", "Lucky", "Secret", "Endless"]
NOUN = ["Rivers", "Hearts", "Skyline", "Echoes", "Satellites", "Gardens", "Letters", "Waves", "Fire",
        "Streets", "Dreams", "Mirrors", "Horizon", "Shadows", "Lanterns", "Signals", "Harbor",
        "Weather", "Orbit", "Dust", "Motel", "Parade", "Season", "Coastline"]
LABELS = ["Northbound Records", "Quiet Room Music", "Lumen Recordings", "Saltwater Sound", "Polar Tapes"]


def build_catalog() -> Catalog:
    rng = random.Random(20260211)
    cat = Catalog()
    artist_ids = []
    for i, (name, genres) in enumerate(ARTISTS):
        aid = b62id(f"artist:{name}")
        artist_ids.append(aid)
        cat.artists[aid] = {
            "id": aid, "name": name, "genres": genres,
            "popularity": rng.randint(35, 92),
            "followers": rng.randint(12_000, 4_800_000),
            "images": images(f"artist:{name}", (640, 320, 160)),
            "album_ids": [],
        }
        cat.appears_on[aid] = []
    used_titles: set[str] = set()

    def title(words=2):
        if words == 1:
            return rng.choice(NOUN)
        for _ in range(50):  # prefer unique titles, but never loop forever
            t = f"{rng.choice(ADJ)} {rng.choice(NOUN)}"
            if t not in used_titles:
                break
        used_titles.add(t)
        return t

    for ai, aid in enumerate(artist_ids):
        n_albums = 2 + (ai % 2)
        for k in range(n_albums):
            album_name = title()
            alid = b62id(f"album:{aid}:{k}")
            year = rng.randint(2012, 2025)
            precision = "year" if rng.random() < 0.15 else "day"
            release = str(year) if precision == "year" else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            album_type = "single" if k == n_albums - 1 and ai % 4 == 0 else "album"
            n_tracks = rng.randint(8, 12)
            album = {
                "id": alid, "name": album_name, "artist_ids": [aid], "album_type": album_type,
                "release_date": release, "release_date_precision": precision,
                "label": rng.choice(LABELS), "upc": f"{rng.randint(10**11, 10**12 - 1)}",
                "popularity": rng.randint(20, 85), "images": images(f"album:{alid}"),
                "copyright_year": year, "track_ids": [],
            }
            cat.albums[alid] = album
            cat.artists[aid]["album_ids"].append(alid)
            for t in range(n_tracks):
                tid = b62id(f"track:{alid}:{t}")
                r = rng.random()
                name = title() if r < 0.6 else (title(1) if r < 0.85 else f"{title()} (Interlude)")
                artists = [aid]
                if rng.random() < 0.12:
                    feat = rng.choice([x for x in artist_ids if x != aid])
                    artists.append(feat)
                    if alid not in cat.appears_on[feat]:
                        cat.appears_on[feat].append(alid)
                cat.tracks[tid] = {
                    "id": tid, "name": name, "album_id": alid, "artist_ids": artists,
                    "duration_ms": rng.randint(148_000, 331_000), "track_number": t + 1,
                    "disc_number": 1, "explicit": rng.random() < 0.15,
                    "popularity": max(0, min(100, album["popularity"] + rng.randint(-15, 15))),
                    "isrc": f"{rng.choice(['US', 'GB', 'SE', 'FR', 'JP'])}{rng.choice(['A1B', 'UM7', 'K4Q', 'ZZ9'])}{year % 100:02d}{rng.randint(0, 99999):05d}",
                }
                album["track_ids"].append(tid)
    return cat


# ---------------------------------------------------------------- seeded users
SEED_USERS = [
    # id, display name, product, country, devices [(name, type, volume, supports_volume)]
    ("alice", "Alice Example", "premium", "SE",
     [("Alice's MacBook", "Computer", 65, True), ("Alice's iPhone", "Smartphone", 100, True)]),
    ("bob", "Bob Example", "premium", "GB",
     [("Living Room Speaker", "Speaker", 40, True), ("Bob's Laptop", "Computer", 80, True)]),
    ("carol", "Carol Example", "free", "US", [("Carol's Android", "Smartphone", 70, True)]),
    ("dave", "Dave Example", "premium", "DE", []),
    ("erin", "Erin Example", "premium", "FR", [("Erin's Web Player", "Computer", 55, False)]),
]
SEED_USER_IDS = [u[0] for u in SEED_USERS]
SEED_EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: fixed so seeded timestamps are stable


def new_user(user_id: str, display_name: str, product: str = "premium", country: str = "US",
             devices: list | None = None, bulk: bool = False) -> dict:
    return {
        "id": user_id, "display_name": display_name, "product": product, "country": country,
        "email": f"{user_id}@example.com", "followers": 0 if bulk else (sum(map(ord, user_id)) % 90),
        "bulk": bulk,
        "devices": [
            {"id": hexid(f"device:{user_id}:{i}"), "name": n, "type": t, "volume_percent": v,
             "supports_volume": sv, "is_private_session": False, "is_restricted": False}
            for i, (n, t, v, sv) in enumerate(devices or [])
        ],
        "player": empty_player(),
        "queue": [],
        "saved_tracks": {}, "saved_albums": {}, "followed_artists": {}, "followed_users": {},
        "followed_playlists": {},  # saved (library) playlists of other users
        "playlists": [],  # the ordered ids shown by /me/playlists (owned + followed)
        "recently_played": [],  # newest last: {"uri", "played_at_ms", "context_uri"}
        "top_artists": [], "top_tracks": [],
    }


def empty_player() -> dict:
    return {"device_id": None, "is_playing": False, "item_uri": None, "context_uri": None,
            "context_tracks": [], "order": [], "index": 0, "from_queue": False,
            "progress_ms": 0, "anchor_ms": 0, "shuffle": False, "repeat": "off"}


def seed_users(data: dict, cat: Catalog, now_ms: int) -> None:
    rng = random.Random(4242)
    track_ids = list(cat.tracks)
    album_ids = list(cat.albums)
    artist_ids = list(cat.artists)
    users = data["users"]
    for uid, name, product, country, devices in SEED_USERS:
        users[uid] = new_user(uid, name, product, country, devices)

    def make_playlist(owner, pname, desc, public, collaborative, n):
        pid = b62id(f"playlist:{owner}:{pname}")
        items = [{"track_id": t, "added_at_ms": SEED_EPOCH_MS - rng.randint(1, 300) * 86_400_000,
                  "added_by": owner} for t in rng.sample(track_ids, n)]
        items.sort(key=lambda x: x["added_at_ms"])
        data["playlists"][pid] = {
            "id": pid, "name": pname, "description": desc, "owner_id": owner, "public": public,
            "collaborative": collaborative, "items": items, "version": 1,
            "followers": rng.randint(0, 250), "images": images(f"playlist:{pid}"),
        }
        users[owner]["playlists"].append(pid)
        return pid

    pl = {}
    pl["focus"] = make_playlist("alice", "Focus Mix", "Deep work, no lyrics where possible.", True, False, 18)
    pl["jazz"] = make_playlist("alice", "Late Night Jazz", "", False, False, 12)
    pl["road"] = make_playlist("alice", "Road Trip 2025", "Add your songs!", False, True, 22)
    pl["run"] = make_playlist("bob", "Running 170 BPM", "Keep moving.", True, False, 15)
    pl["techno"] = make_playlist("bob", "Techno Bunker", "Warehouse energy.", True, False, 20)
    pl["carol"] = make_playlist("carol", "Carol's Favourites", "", True, False, 10)
    pl["chill"] = make_playlist("dave", "Chill Sunday", "Slow mornings.", True, False, 14)
    pl["erin"] = make_playlist("erin", "Erin's Discoveries", "New finds.", False, False, 9)
    follows = {"alice": ["techno", "chill"], "bob": ["focus"], "carol": ["chill", "run"],
               "dave": ["focus"], "erin": ["techno"]}
    for uid, keys in follows.items():
        for k in keys:
            users[uid]["playlists"].append(pl[k])
            users[uid]["followed_playlists"][pl[k]] = SEED_EPOCH_MS - rng.randint(1, 100) * 86_400_000

    for uid in SEED_USER_IDS:
        u = users[uid]
        for t in sorted(rng.sample(track_ids, rng.randint(12, 25)), key=lambda _: rng.random()):
            u["saved_tracks"][t] = SEED_EPOCH_MS - rng.randint(1, 400) * 3_600_000
        for a in rng.sample(album_ids, rng.randint(2, 4)):
            u["saved_albums"][a] = SEED_EPOCH_MS - rng.randint(1, 400) * 3_600_000
        for a in rng.sample(artist_ids, rng.randint(3, 6)):
            u["followed_artists"][a] = SEED_EPOCH_MS - rng.randint(1, 400) * 3_600_000
        u["top_artists"] = rng.sample(artist_ids, 8)
        u["top_tracks"] = rng.sample(track_ids, 20)
        t = now_ms - 3_600_000 * 5
        for tr in rng.sample(track_ids, 20):
            t += rng.randint(150, 330) * 1000
            u["recently_played"].append({"uri": f"spotify:track:{tr}", "played_at_ms": t, "context_uri": None})

    # alice: playing her Focus Mix on her MacBook.
    a = users["alice"]
    focus = data["playlists"][pl["focus"]]
    uris = [f"spotify:track:{i['track_id']}" for i in focus["items"]]
    a["player"].update(device_id=a["devices"][0]["id"], is_playing=True, item_uri=uris[2],
                       context_uri=f"spotify:playlist:{pl['focus']}", context_tracks=uris,
                       order=list(range(len(uris))), index=2, progress_ms=42_000, anchor_ms=now_ms)
    # carol (free) has an active phone with a paused track, so reads work but control is refused.
    c = users["carol"]
    cat_album = cat.albums[album_ids[3]]
    uris = [f"spotify:track:{t}" for t in cat_album["track_ids"]]
    c["player"].update(device_id=c["devices"][0]["id"], is_playing=False, item_uri=uris[0],
                       context_uri=f"spotify:album:{cat_album['id']}", context_tracks=uris,
                       order=list(range(len(uris))), index=0, progress_ms=61_000, anchor_ms=now_ms)
    # erin: active web player, paused, fixed volume device.
    e = users["erin"]
    uris = [f"spotify:track:{t}" for t in e["top_tracks"][:5]]
    e["player"].update(device_id=e["devices"][0]["id"], is_playing=False, item_uri=uris[0],
                       context_uri=None, context_tracks=uris, order=list(range(5)), index=0,
                       progress_ms=5_000, anchor_ms=now_ms)
