"""Playlists through the tools, checked against the emulator's state."""

import pytest

from .conftest import spotify_requests

pytestmark = pytest.mark.django_db(transaction=True)


def _playlists(emulator, user="alice"):
    return {p["name"]: p for p in emulator.user_state(user)["playlists"]}


def _tracks(tools, n=3, query="Golden"):
    return [t["uri"] for t in tools.ok("search", {"query": query, "types": ["track"], "limit": n})["tracks"]["items"]]


def _item_uris(tools, playlist_id):
    return [i["item"]["uri"] for i in tools.ok("get_playlist_items", {"playlist_id": playlist_id, "limit": 50})["items"]]


def _own(tools, name="Focus Mix"):
    return next(p for p in tools.ok("list_my_playlists", {"limit": 50})["items"] if p["name"] == name)


def test_my_playlists_own_and_followed(tools, alice):
    page = tools.ok("list_my_playlists", {"limit": 2})
    assert len(page["items"]) == 2 and page["next_offset"] == 2 and page["total"] == 5
    everything = tools.ok("list_my_playlists", {"limit": 50})["items"]
    owners = {p["name"]: p["owner"]["id"] for p in everything}
    assert owners["Focus Mix"] == "alice" and owners["Techno Bunker"] == "bob"


def test_playlist_details_and_items(tools, alice):
    focus = _own(tools)
    details = tools.ok("get_playlist", {"playlist_id": focus["uri"]})
    assert details["name"] == "Focus Mix" and details["total_items"] == 18 and details["snapshot_id"]
    page = tools.ok("get_playlist_items", {"playlist_id": focus["id"], "limit": 5, "offset": 5})
    assert [i["position"] for i in page["items"]] == [5, 6, 7, 8, 9]
    assert page["next_offset"] == 10 and page["items"][0]["item"]["uri"].startswith("spotify:track:")


def test_create_playlist_and_add_items(tools, alice, emulator):
    created = tools.ok("create_playlist", {"name": "Made by the assistant", "description": "Test run"})
    assert created["id"] and created["public"] is False and created["owner"]["id"] == "alice"
    assert "Made by the assistant" in _playlists(emulator)
    uris = _tracks(tools, 3)
    change = tools.ok("add_playlist_items", {"playlist_id": created["id"], "uris": uris})
    assert change["snapshot_id"]
    first = _tracks(tools, 1, query="Velvet")
    tools.ok("add_playlist_items", {"playlist_id": created["uri"], "uris": first, "position": 0})
    assert _item_uris(tools, created["id"]) == first + uris


def test_change_playlist_details(tools, alice, emulator):
    focus = _own(tools)
    tools.ok("update_playlist_details", {"playlist_id": focus["id"], "name": "Deep Focus", "description": "Renamed", "public": False})
    state = _playlists(emulator)["Deep Focus"]
    assert state["description"] == "Renamed" and state["public"] is False


def test_remove_and_reorder_items(tools, alice):
    focus = _own(tools)
    before = _item_uris(tools, focus["id"])
    tools.ok("remove_playlist_items", {"playlist_id": focus["id"], "uris": [before[0]]})
    after_remove = _item_uris(tools, focus["id"])
    assert after_remove == before[1:]
    tools.ok("reorder_playlist_items", {"playlist_id": focus["id"], "range_start": 3, "insert_before": 0})
    assert _item_uris(tools, focus["id"]) == [after_remove[3]] + after_remove[:3] + after_remove[4:]


def test_changing_someone_elses_playlist_says_you_are_not_the_owner(tools, alice):
    techno = _own(tools, "Techno Bunker")  # bob's, followed by alice
    message = tools.error("add_playlist_items", {"playlist_id": techno["id"], "uris": _tracks(tools, 1)})
    assert "only change playlists you own" in message and "create_playlist" in message
    assert "only change playlists you own" in tools.error("update_playlist_details", {"playlist_id": techno["id"], "name": "Mine now"})


def test_unknown_playlist_is_not_found(tools, alice):
    assert "No playlist has that id" in tools.error("get_playlist", {"playlist_id": "0" * 22})


def test_playlist_write_inputs_checked_before_sending(tools, alice, sent_to_spotify):
    focus_id = "0" * 22
    assert "spotify:track:<id>" in tools.error("add_playlist_items", {"playlist_id": focus_id, "uris": ["spotify:album:" + "a" * 22]})
    tools.error("add_playlist_items", {"playlist_id": focus_id, "uris": ["spotify:track:" + "a" * 22] * 101})
    assert "collaborative playlist cannot be public" in tools.error("create_playlist", {"name": "x", "public": True, "collaborative": True})
    assert spotify_requests(sent_to_spotify) == []
