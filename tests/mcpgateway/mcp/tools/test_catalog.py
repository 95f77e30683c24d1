"""Search and catalog details through the tools."""

import pytest

from .conftest import spotify_requests

pytestmark = pytest.mark.django_db(transaction=True)


def _first_track(tools, query="Golden"):
    return tools.ok("search", {"query": query, "types": ["track"], "limit": 1})["tracks"]["items"][0]


def test_search_pages_with_next_offset(tools, alice):
    first = tools.ok("search", {"query": "Golden", "types": ["track"], "limit": 2})["tracks"]
    assert len(first["items"]) == 2 and first["total"] > 2 and first["next_offset"] == 2
    second = tools.ok("search", {"query": "Golden", "types": ["track"], "limit": 2, "offset": first["next_offset"]})["tracks"]
    assert {t["id"] for t in second["items"]}.isdisjoint({t["id"] for t in first["items"]})
    track = first["items"][0]
    assert track["uri"] == f"spotify:track:{track['id']}" and track["artists"][0]["name"] and track["album"]["name"]


def test_search_returns_each_kind_asked_for(tools, alice):
    results = tools.ok("search", {"query": "Aurora", "types": ["artist", "album"], "limit": 5})
    assert results["artists"]["items"][0]["name"] == "Aurora Vale"
    assert results["tracks"] is None and results["albums"] is not None


def test_search_limit_above_ten_is_refused_without_asking_spotify(tools, alice, sent_to_spotify):
    tools.error("search", {"query": "Golden", "limit": 11})
    assert spotify_requests(sent_to_spotify) == []


def test_track_by_id_uri_or_link(tools, alice):
    track = _first_track(tools)
    for ref in (track["id"], track["uri"], f"https://open.spotify.com/track/{track['id']}?si=abc"):
        assert tools.ok("get_track", {"track_id": ref})["id"] == track["id"]


def test_malformed_id_is_refused_before_calling_spotify(tools, alice, sent_to_spotify):
    message = tools.error("get_track", {"track_id": "not-an-id"})
    assert "22 letters and digits" in message
    message = tools.error("get_track", {"track_id": "spotify:album:" + "a" * 22})
    assert "spotify:track:<id>" in message
    assert spotify_requests(sent_to_spotify) == []


def test_unknown_track_is_not_found(tools, alice):
    assert "No track has that id" in tools.error("get_track", {"track_id": "0" * 22})


def test_album_with_its_tracks_and_paging(tools, alice):
    album_id = _first_track(tools)["album"]["id"]
    album = tools.ok("get_album", {"album_id": album_id})
    assert album["name"] and album["total_tracks"] == len(album["tracks"])
    page = tools.ok("get_album_tracks", {"album_id": f"spotify:album:{album_id}", "limit": 3})
    assert [t["track_number"] for t in page["items"]] == [1, 2, 3]
    assert page["next_offset"] == 3 and page["total"] == album["total_tracks"]


def test_artist_and_artist_albums(tools, alice):
    artist_id = _first_track(tools)["artists"][0]["id"]
    artist = tools.ok("get_artist", {"artist_id": artist_id})
    assert artist["name"] and artist["genres"]
    albums = tools.ok("get_artist_albums", {"artist_id": artist_id, "include_groups": ["album", "single"], "limit": 1})
    assert len(albums["items"]) == 1 and albums["items"][0]["uri"].startswith("spotify:album:")


def test_artist_albums_limit_is_spotifys_ten(tools, alice):
    artist_id = _first_track(tools)["artists"][0]["id"]
    tools.error("get_artist_albums", {"artist_id": artist_id, "limit": 11})
