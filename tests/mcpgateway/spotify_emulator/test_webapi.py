"""Web API: every implemented operation answers in Spotify's documented shapes, and the
behaviours the gateway depends on (Premium-only control, active device, ownership,
limits, scopes) really happen and really change state.

All calls go through ``Api`` (conftest), which validates each response (success or
error) against the OpenAPI file plus stricter checks.
"""

from __future__ import annotations

import pytest

from mcpgateway.spotify_emulator.state import DEFAULT_SCOPES

from .spotify_openapi import check_error
from .support import state


def ALL_SCOPES_BUT(*drop: str) -> list[str]:
    return [s for s in DEFAULT_SCOPES if s not in drop]


@pytest.fixture
def cat(app):
    return app.state.emulator.catalog


@pytest.fixture
def ids(app, cat):
    st = app.state.emulator
    artist = next(iter(cat.artists.values()))
    album = cat.albums[artist["album_ids"][0]]
    pls = {p["name"]: p["id"] for p in st.data["playlists"].values()}
    return {"artist": artist["id"], "album": album["id"], "track": album["track_ids"][0],
            "track2": album["track_ids"][1], "focus": pls["Focus Mix"], "techno": pls["Techno Bunker"],
            "jazz": pls["Late Night Jazz"], "road": pls["Road Trip 2025"]}


def test_every_read_endpoint_validates(alice, ids):
    paths = [
        "/me", "/me/player", "/me/player/currently-playing", "/me/player/devices", "/me/player/queue",
        "/me/player/recently-played?limit=5", "/me/top/artists?time_range=short_term", "/me/top/tracks?limit=3",
        "/me/playlists", "/me/tracks?limit=5&offset=2", "/me/albums", "/me/following?type=artist&limit=2",
        "/me/shows", "/me/episodes", "/me/audiobooks",
        f"/tracks/{ids['track']}", f"/albums/{ids['album']}", f"/albums/{ids['album']}/tracks?limit=3",
        f"/artists/{ids['artist']}", f"/artists/{ids['artist']}/albums?include_groups=album,single,appears_on",
        f"/playlists/{ids['focus']}", f"/playlists/{ids['focus']}/items?limit=5&offset=5",
        f"/playlists/{ids['focus']}/images",
        f"/me/library/contains?uris=spotify:track:{ids['track']},spotify:artist:{ids['artist']},spotify:playlist:{ids['techno']}",
        "/search?q=a&type=track,artist,album,playlist,show,episode,audiobook&limit=10",
    ]
    for p in paths:
        r = alice.get(p)
        assert r.status_code == 200, (p, r.text)


def test_paging_links_follow(alice):
    first = alice.get("/me/tracks?limit=5").json()
    assert first["previous"] is None and first["next"]
    nxt = alice.get(first["next"].split("/v1", 1)[1]).json()
    assert nxt["offset"] == 5 and nxt["previous"]
    assert {i["track"]["id"] for i in first["items"]}.isdisjoint({i["track"]["id"] for i in nxt["items"]})
    f = alice.get("/me/following?type=artist&limit=2").json()["artists"]
    rest = alice.get(f["next"].split("/v1", 1)[1]).json()["artists"]
    assert rest["items"][0]["id"] != f["items"][0]["id"] and f["cursors"]["after"] == f["items"][-1]["id"]


def test_errors_for_tokens_ids_and_removed_endpoints(client, alice, ids):
    r = client.get("/v1/me")
    check_error(r, 401, message="Invalid access token")
    r = client.get("/v1/me", headers={"Authorization": "Bearer nope"})
    check_error(r, 401, message="Invalid access token")
    check_error(alice.get("/tracks/not-an-id"), 400, message="Invalid base62 id")
    check_error(alice.get("/tracks/" + "A" * 22), 404, message="Resource not found")
    check_error(alice.get("/playlists/" + "B" * 22), 404)
    check_error(alice.get("/shows/" + "C" * 22), 404)
    # removed in Feb 2026: must not be served
    for path in ("/tracks?ids=" + ids["track"], "/artists/" + ids["artist"] + "/top-tracks",
                 "/recommendations", "/me/tracks/contains?ids=" + ids["track"]):
        r = client.get("/v1" + path, headers={"Authorization": f"Bearer {alice.token}"})
        assert r.status_code in (404, 405), path
        check_error(r)
    r = client.put("/v1/me/tracks?ids=" + ids["track"], headers={"Authorization": f"Bearer {alice.token}"})
    assert r.status_code == 405


def test_search_limits_and_filters(alice, cat):
    check_error(alice.get("/search?q=a&type=track&limit=11"), 400, message="Invalid limit")
    check_error(alice.get("/search?q=a&type=track&offset=1001"), 400)
    check_error(alice.get("/search?q=a&type=podcast"), 400)
    check_error(alice.get("/search?type=track"), 400)
    default = alice.get("/search?q=a&type=track").json()["tracks"]
    assert default["limit"] == 5 and len(default["items"]) == 5
    name = "Aurora Vale"
    res = alice.get(f'/search?q=artist:"{name}"&type=track&limit=10').json()["tracks"]
    assert res["total"] > 0 and all(any(a["name"] == name for a in t["artists"]) for t in res["items"])
    assert alice.get("/search?q=aurora&type=artist").json()["artists"]["items"][0]["name"] == name
    page2 = alice.get(f'/search?q=artist:"{name}"&type=track&limit=2&offset=2').json()["tracks"]
    assert page2["previous"] and page2["items"][0]["id"] == res["items"][2]["id"]


def test_scope_checks(api_for, ids):
    no_playback = api_for("alice", ALL_SCOPES_BUT("user-read-playback-state", "user-modify-playback-state"))
    check_error(no_playback.get("/me/player"), 403, message="Insufficient client scope")
    check_error(no_playback.put("/me/player/pause"), 403, message="Insufficient client scope")
    no_lib = api_for("alice", ALL_SCOPES_BUT("user-library-modify"))
    check_error(no_lib.put(f"/me/library?uris=spotify:track:{ids['track']}"), 403)
    assert no_lib.put(f"/me/library?uris=spotify:artist:{ids['artist']}").status_code == 200  # follow scope suffices
    public_only = api_for("alice", ALL_SCOPES_BUT("playlist-modify-private"))
    check_error(public_only.post(f"/playlists/{ids['jazz']}/items", json={"uris": [f"spotify:track:{ids['track']}"]}), 403)
    check_error(public_only.post("/me/playlists", json={"name": "x", "public": False}), 403)
    assert public_only.post("/me/playlists", json={"name": "x"}).status_code == 201
    nothing = api_for("alice", [])
    check_error(nothing.get("/me"), 403)
    assert nothing.get(f"/tracks/{ids['track']}").status_code == 200


def test_me_fields_depend_on_scopes(api_for):
    full = api_for("alice").get("/me").json()
    assert full["product"] == "premium" and full["email"] == "alice@example.com" and full["country"]
    bare = api_for("alice", ["user-read-email"]).get("/me").json()
    assert "product" not in bare and bare["email"]


def test_free_user_gets_premium_required(api_for, client):
    carol = api_for("carol")
    assert carol.get("/me/player").status_code == 200  # reading works
    for method, path in [("PUT", "/me/player/play"), ("PUT", "/me/player/pause"), ("POST", "/me/player/next"),
                         ("POST", "/me/player/previous"), ("PUT", "/me/player/seek?position_ms=0"),
                         ("PUT", "/me/player/volume?volume_percent=10"), ("PUT", "/me/player/shuffle?state=true"),
                         ("PUT", "/me/player/repeat?state=off"), ("POST", "/me/player/queue?uri=spotify:track:" + "A" * 22)]:
        check_error(carol.call(method, path), 403, reason="PREMIUM_REQUIRED")


def test_no_active_device(api_for, client):
    bob = api_for("bob")
    assert bob.get("/me/player").status_code == 204
    assert bob.get("/me/player/currently-playing").status_code == 204
    check_error(bob.put("/me/player/pause"), 404, reason="NO_ACTIVE_DEVICE")
    check_error(bob.post("/me/player/next"), 404, reason="NO_ACTIVE_DEVICE")
    check_error(bob.put("/me/player/play?device_id=" + "0" * 40), 404)
    devices = bob.get("/me/player/devices").json()["devices"]
    assert len(devices) == 2 and not any(d["is_active"] for d in devices)
    dave = api_for("dave")
    assert dave.get("/me/player/devices").json() == {"devices": []}
    check_error(dave.put("/me/player/play", json={"uris": []}), 404, reason="NO_ACTIVE_DEVICE")


def test_play_on_device_changes_state(api_for, client, ids, cat):
    bob = api_for("bob")
    speaker = bob.get("/me/player/devices").json()["devices"][0]["id"]
    r = bob.put(f"/me/player/play?device_id={speaker}",
                json={"context_uri": f"spotify:album:{ids['album']}", "offset": {"position": 1}, "position_ms": 5000})
    assert r.status_code == 204
    s = bob.get("/me/player").json()
    assert s["is_playing"] and s["device"]["id"] == speaker and s["device"]["is_active"]
    assert s["item"]["id"] == ids["track2"] and s["progress_ms"] >= 5000
    assert s["context"]["uri"] == f"spotify:album:{ids['album']}"
    st = state(client, "bob")["playback"]
    assert st["device_id"] == speaker and st["item_uri"] == f"spotify:track:{ids['track2']}"
    # queue then next: queue first, then the album continues
    q_uri = f"spotify:track:{ids['track']}"
    assert bob.post(f"/me/player/queue?uri={q_uri}").status_code == 204
    assert state(client, "bob")["queue"] == [q_uri]
    assert bob.get("/me/player/queue").json()["queue"][0]["uri"] == q_uri
    bob.post("/me/player/next")
    assert bob.get("/me/player/currently-playing").json()["item"]["uri"] == q_uri
    bob.post("/me/player/next")
    third = cat.albums[ids["album"]]["track_ids"][2]
    assert bob.get("/me/player/currently-playing").json()["item"]["id"] == third
    bob.post("/me/player/previous")
    assert bob.get("/me/player/currently-playing").json()["item"]["id"] == ids["track2"]
    assert state(client, "bob")["recently_played"][0] == f"spotify:track:{third}"
    bob.put("/me/player/pause")
    assert bob.get("/me/player").json()["is_playing"] is False
    check_error(bob.put("/me/player/pause"), 403, reason="UNKNOWN")  # already paused
    bob.put("/me/player/play")
    assert bob.get("/me/player").json()["is_playing"] is True
    bob.put("/me/player/seek?position_ms=12000")
    assert 12000 <= bob.get("/me/player").json()["progress_ms"] < 14000
    bob.put("/me/player/volume?volume_percent=33")
    bob.put("/me/player/shuffle?state=true")
    bob.put("/me/player/repeat?state=context")
    s = bob.get("/me/player").json()
    assert (s["device"]["volume_percent"], s["shuffle_state"], s["repeat_state"]) == (33, True, "context")
    check_error(bob.put("/me/player/volume?volume_percent=101"), 400)
    check_error(bob.put("/me/player/repeat?state=all"), 400)


def test_play_uris_and_transfer(api_for, client, ids):
    alice = api_for("alice")
    phone = [d for d in alice.get("/me/player/devices").json()["devices"] if not d["is_active"]][0]["id"]
    uris = [f"spotify:track:{ids['track']}", f"spotify:track:{ids['track2']}"]
    assert alice.put("/me/player/play", json={"uris": uris, "offset": {"uri": uris[1]}}).status_code == 204
    assert alice.get("/me/player").json()["item"]["uri"] == uris[1]
    assert alice.put("/me/player", json={"device_ids": [phone], "play": True}).status_code == 204
    s = alice.get("/me/player").json()
    assert s["device"]["id"] == phone and s["is_playing"]
    check_error(alice.put("/me/player", json={"device_ids": ["nope"]}), 404)
    check_error(alice.put("/me/player/play", json={"context_uri": "spotify:album:" + "Z" * 22}), 404)


def test_progress_follows_the_emulator_clock(api_for, client):
    alice = api_for("alice")
    before = alice.get("/me/player").json()
    client.post("/_emulator/clock", json={"advance_seconds": 20})
    after = alice.get("/me/player").json()
    assert after["item"]["id"] != before["item"]["id"] or after["progress_ms"] >= before["progress_ms"] + 19000


def test_fixed_volume_device(api_for):
    check_error(api_for("erin").put("/me/player/volume?volume_percent=10"), 403, reason="VOLUME_CONTROL_DISALLOW")


def test_library_writes_persist(alice, client, ids):
    t, a = f"spotify:track:{ids['track']}", f"spotify:album:{ids['album']}"
    ar = f"spotify:artist:{ids['artist']}"
    alice.delete(f"/me/library?uris={t},{a},{ar}")
    assert alice.get(f"/me/library/contains?uris={t},{a},{ar}").json() == [False, False, False]
    assert alice.put(f"/me/library?uris={t},{a},{ar}").status_code == 200
    assert alice.get(f"/me/library/contains?uris={t},{a},{ar}").json() == [True, True, True]
    assert alice.get("/me/tracks?limit=1").json()["items"][0]["track"]["uri"] == t
    assert alice.get("/me/albums?limit=1").json()["items"][0]["album"]["uri"] == a
    assert ar in [x["uri"] for x in alice.get("/me/following?type=artist&limit=50").json()["artists"]["items"]]
    lib = state(client)["library"]
    assert ids["track"] in lib["tracks"] and ids["album"] in lib["albums"]
    too_many = ",".join([t] * 41)
    check_error(alice.put(f"/me/library?uris={too_many}"), 400)
    check_error(alice.put("/me/library?uris=spotify:track:bad"), 400, message="Invalid base62 id")
    check_error(alice.put("/me/library?uris=spotify:track:" + "Q" * 22), 404)


def test_playlist_follow_via_library(api_for, ids):
    erin = api_for("erin")
    uri = f"spotify:playlist:{ids['focus']}"
    assert erin.get(f"/me/library/contains?uris={uri}").json() == [False]
    erin.put(f"/me/library?uris={uri}")
    assert ids["focus"] in [p["id"] for p in erin.get("/me/playlists").json()["items"]]
    erin.delete(f"/me/library?uris={uri}")
    assert ids["focus"] not in [p["id"] for p in erin.get("/me/playlists").json()["items"]]


def test_playlist_lifecycle(alice, client, ids):
    r = alice.post("/me/playlists", json={"name": "Gateway Test", "description": "made by a test", "public": False})
    assert r.status_code == 201
    pl = r.json()
    assert pl["owner"]["id"] == "alice" and pl["public"] is False and pl["items"]["total"] == 0
    assert alice.get("/me/playlists?limit=1").json()["items"][0]["id"] == pl["id"]
    snaps = {pl["snapshot_id"]}
    uris = [f"spotify:track:{ids['track']}", f"spotify:track:{ids['track2']}"]
    r = alice.post(f"/playlists/{pl['id']}/items", json={"uris": uris})
    assert r.status_code == 201
    snaps.add(r.json()["snapshot_id"])
    r = alice.put(f"/playlists/{pl['id']}/items", json={"range_start": 1, "insert_before": 0})
    snaps.add(r.json()["snapshot_id"])
    items = alice.get(f"/playlists/{pl['id']}/items").json()["items"]
    assert [i["item"]["uri"] for i in items] == uris[::-1] and items[0]["added_by"]["id"] == "alice"
    r = alice.delete(f"/playlists/{pl['id']}/items", json={"items": [{"uri": uris[0]}]})
    snaps.add(r.json()["snapshot_id"])
    assert alice.put(f"/playlists/{pl['id']}", json={"name": "Renamed", "description": "new"}).status_code == 200
    got = alice.get(f"/playlists/{pl['id']}").json()
    snaps.add(got["snapshot_id"])
    assert len(snaps) == 5  # every write changed the snapshot
    assert got["name"] == "Renamed" and [i["track"]["uri"] for i in got["items"]["items"]] == [uris[1]]
    r = alice.put(f"/playlists/{pl['id']}/items", json={"uris": uris})
    assert alice.get(f"/playlists/{pl['id']}").json()["items"]["total"] == 2
    assert next(p for p in state(client)["playlists"] if p["id"] == pl["id"])["items"] == uris
    check_error(alice.post(f"/playlists/{pl['id']}/items", json={"uris": uris, "position": 9}), 400)
    check_error(alice.post("/me/playlists", json={}), 400)


def test_cannot_modify_others_playlists(alice, api_for, ids):
    body = {"uris": [f"spotify:track:{ids['track']}"]}
    err = check_error(alice.post(f"/playlists/{ids['techno']}/items", json=body), 403)
    assert "don't own" in err["message"]
    check_error(alice.put(f"/playlists/{ids['techno']}", json={"name": "mine now"}), 403)
    # collaborative playlists accept items from followers, not from strangers
    check_error(api_for("erin").post(f"/playlists/{ids['road']}/items", json=body), 403)


def test_recently_played_cursor(alice):
    page = alice.get("/me/player/recently-played?limit=3").json()
    assert len(page["items"]) == 3 and page["next"]
    older = alice.get(page["next"].split("/v1", 1)[1]).json()
    assert older["items"][0]["played_at"] <= page["items"][-1]["played_at"]
    check_error(alice.get("/me/player/recently-played?limit=51"), 400)


def test_artist_albums_limit_and_groups(alice, ids):
    check_error(alice.get(f"/artists/{ids['artist']}/albums?limit=11"), 400, message="Invalid limit")
    singles = alice.get(f"/artists/{ids['artist']}/albums?include_groups=single&limit=10").json()
    assert all(a["album_group"] == "single" for a in singles["items"])
