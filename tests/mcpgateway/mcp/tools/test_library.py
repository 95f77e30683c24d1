"""The library through the tools: saved items, save/remove/check, followed artists."""

import pytest

from .conftest import body_of, spotify_requests

pytestmark = pytest.mark.django_db(transaction=True)


def test_saved_tracks_and_albums(tools, alice, emulator):
    library = emulator.user_state("alice")["library"]
    tracks = tools.ok("get_saved_tracks", {"limit": 5})
    assert tracks["total"] == len(library["tracks"]) and len(tracks["items"]) == 5 and tracks["next_offset"] == 5
    assert all(i["track"]["uri"].startswith("spotify:track:") and i["added_at"] for i in tracks["items"])
    albums = tools.ok("get_saved_albums", {"limit": 50})
    assert {a["album"]["id"] for a in albums["items"]} == set(library["albums"])


def test_save_check_and_remove(tools, alice, emulator, sent_to_spotify):
    track = tools.ok("search", {"query": "Lanterns", "types": ["track"], "limit": 1})["tracks"]["items"][0]
    album = track["album"]["uri"]
    tools.ok("remove_from_library", {"uris": [track["uri"], album]})
    check = tools.ok("check_library", {"uris": [track["uri"], album]})
    assert check["items"] == [{"uri": track["uri"], "saved": False}, {"uri": album, "saved": False}]

    assert tools.ok("save_to_library", {"uris": [track["uri"], album]}) == {"uris": [track["uri"], album], "saved": True}
    library = emulator.user_state("alice")["library"]
    assert track["id"] in library["tracks"] and track["album"]["id"] in library["albums"]
    assert [i["saved"] for i in tools.ok("check_library", {"uris": [track["uri"], album]})["items"]] == [True, True]

    tools.ok("remove_from_library", {"uris": [track["uri"]]})
    assert track["id"] not in emulator.user_state("alice")["library"]["tracks"]
    # The current endpoint: /me/library with URIs in the query, not the removed /me/tracks writes.
    assert "PUT /me/library" in spotify_requests(sent_to_spotify)
    assert all(body_of(r) is None for r in sent_to_spotify if "/me/library" in r.url)


def test_more_than_forty_uris_are_refused_before_sending(tools, alice, sent_to_spotify):
    uris = [f"spotify:track:{i:022d}" for i in range(41)]
    tools.error("save_to_library", {"uris": uris})
    assert spotify_requests(sent_to_spotify) == []


def test_library_refuses_unknown_uri_kinds(tools, alice, sent_to_spotify):
    assert "spotify:track:<id>" in tools.error("check_library", {"uris": ["spotify:artist:" + "a" * 22]})
    assert spotify_requests(sent_to_spotify) == []


def test_followed_artists_page_with_a_cursor(tools, alice, emulator):
    followed = emulator.user_state("alice")["library"]["artists"]
    first = tools.ok("get_followed_artists", {"limit": 2})
    assert first["total"] == len(followed) and len(first["items"]) == 2 and first["next_after"]
    rest = tools.ok("get_followed_artists", {"limit": 50, "after": first["next_after"]})
    seen = [a["id"] for a in first["items"] + rest["items"]]
    assert sorted(seen) == sorted(followed) and rest["next_after"] is None
