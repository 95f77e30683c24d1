"""Playback through the tools, checked against the emulator's player state."""

import pytest

from .conftest import body_of, connect_as, spotify_requests

pytestmark = pytest.mark.django_db(transaction=True)


def _playback(emulator, user="alice"):
    return emulator.user_state(user)["playback"]


def _album_uri(tools):
    track = tools.ok("search", {"query": "Golden", "types": ["track"], "limit": 1})["tracks"]["items"][0]
    return track["album"]["uri"]


def test_reading_playback_now_playing_devices_and_queue(tools, alice, emulator):
    state = tools.ok("get_playback_state")
    assert state["active"] and state["is_playing"] and state["device"]["name"] == "Alice's MacBook"
    assert state["context_uri"] == _playback(emulator)["context_uri"]
    now = tools.ok("get_currently_playing")
    assert now["item"]["uri"] == _playback(emulator)["item_uri"]
    devices = tools.ok("get_devices")["devices"]
    assert [d["name"] for d in devices] == ["Alice's MacBook", "Alice's iPhone"] and devices[0]["is_active"]
    queue = tools.ok("get_queue")
    assert queue["currently_playing"]["uri"] == now["item"]["uri"]
    assert [i["uri"] for i in queue["queue"]] == emulator.user_state("alice")["upcoming"][: len(queue["queue"])]


def test_play_an_album_from_an_offset(tools, alice, emulator, sent_to_spotify):
    album = _album_uri(tools)
    result = tools.ok("start_playback", {"context_uri": album, "offset_position": 2, "position_ms": 1000})
    assert result["done"]
    playback = _playback(emulator)
    assert playback["context_uri"] == album and playback["is_playing"]
    album_tracks = tools.ok("get_album_tracks", {"album_id": album, "limit": 3})["items"]
    assert playback["item_uri"] == album_tracks[2]["uri"]
    play = next(r for r in sent_to_spotify if r.url.split("?")[0].endswith("/me/player/play"))
    assert body_of(play) == {"context_uri": album, "offset": {"position": 2}, "position_ms": 1000}


def test_play_tracks_on_a_chosen_device(tools, alice, emulator):
    devices = tools.ok("get_devices")["devices"]
    tracks = tools.ok("search", {"query": "Golden", "types": ["track"], "limit": 2})["tracks"]["items"]
    tools.ok("start_playback", {"uris": [t["uri"] for t in tracks], "device_id": devices[1]["id"]})
    playback = _playback(emulator)
    assert playback["item_uri"] == tracks[0]["uri"] and playback["device_name"] == "Alice's iPhone"


def test_pause_and_resume(tools, alice, emulator):
    tools.ok("pause_playback")
    assert _playback(emulator)["is_playing"] is False
    tools.ok("start_playback")
    assert _playback(emulator)["is_playing"] is True


def test_pausing_twice_is_reported_not_crashed(tools, alice):
    tools.ok("pause_playback")
    assert "player's current state" in tools.error("pause_playback")


def test_next_and_previous(tools, alice, emulator):
    before = _playback(emulator)["item_uri"]
    upcoming = emulator.user_state("alice")["upcoming"][0]
    tools.ok("skip_to_next")
    assert _playback(emulator)["item_uri"] == upcoming
    tools.ok("skip_to_previous")
    assert _playback(emulator)["item_uri"] == before


def test_seek_volume_shuffle_repeat(tools, alice, emulator):
    tools.ok("pause_playback")  # progress stays where it was put
    tools.ok("seek_to_position", {"position_ms": 30_000})
    tools.ok("set_volume", {"volume_percent": 20})
    tools.ok("set_shuffle", {"state": True})
    tools.ok("set_repeat_mode", {"state": "context"})
    playback = _playback(emulator)
    assert playback["progress_ms"] == 30_000 and playback["volume_percent"] == 20
    assert playback["shuffle_state"] is True and playback["repeat_state"] == "context"


def test_volume_out_of_range_is_refused(tools, alice, sent_to_spotify):
    tools.error("set_volume", {"volume_percent": 101})
    assert spotify_requests(sent_to_spotify) == []


def test_transfer_playback(tools, alice, emulator):
    phone = tools.ok("get_devices")["devices"][1]
    tools.ok("transfer_playback", {"device_id": phone["id"], "play": True})
    assert _playback(emulator)["device_name"] == "Alice's iPhone"


def test_add_to_queue_shows_in_the_queue(tools, alice, emulator):
    track = tools.ok("search", {"query": "Velvet", "types": ["track"], "limit": 1})["tracks"]["items"][0]
    tools.ok("add_to_queue", {"uri": track["uri"]})
    assert emulator.user_state("alice")["queue"][-1] == track["uri"]
    assert tools.ok("get_queue")["queue"][0]["uri"] == track["uri"]


def test_queue_refuses_what_is_not_a_track_or_episode(tools, alice, sent_to_spotify):
    assert "spotify:track:<id>" in tools.error("add_to_queue", {"uri": "spotify:album:" + "a" * 22})
    assert spotify_requests(sent_to_spotify) == []


def test_no_active_device_lists_the_devices(tools, emulator, person):
    connect_as(emulator, person, "bob")  # two devices, nothing playing
    message = tools.error("start_playback", {"context_uri": "spotify:album:" + "a" * 22})
    assert "No Spotify device is active" in message
    devices = emulator.user_state("bob")["devices"]
    for device in devices:
        assert device["name"] in message and device["id"] in message


def test_unknown_device_lists_the_devices(tools, alice):
    message = tools.error("pause_playback", {"device_id": "f" * 40})
    assert "no device with id" in message and "Alice's iPhone" in message


def test_no_devices_at_all(tools, emulator, person):
    connect_as(emulator, person, "dave")
    assert "sees no devices" in tools.error("skip_to_next")


def test_free_account_gets_premium_required(tools, emulator, person):
    connect_as(emulator, person, "carol")
    assert "needs Spotify Premium" in tools.error("pause_playback")
    assert tools.ok("get_currently_playing")["item"]  # reading still works


def test_device_without_volume_control(tools, emulator, person):
    connect_as(emulator, person, "erin")
    assert "does not let other apps change its volume" in tools.error("set_volume", {"volume_percent": 10})


def test_nothing_playing_is_an_inactive_state_not_an_error(tools, emulator, person):
    connect_as(emulator, person, "bob")
    assert tools.ok("get_playback_state") == {**tools.ok("get_playback_state"), "active": False, "item": None}
    assert tools.ok("get_currently_playing")["item"] is None
