"""The person's profile, history and top items."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_profile_of_the_connected_account(tools, alice):
    profile = tools.ok("get_my_profile")
    assert profile["id"] == "alice" and profile["product"] == "premium" and profile["country"] == "SE"


def test_recently_played_pages_backwards(tools, alice):
    first = tools.ok("get_recently_played", {"limit": 5})
    assert len(first["items"]) == 5 and first["next_before"]
    played = [i["played_at"] for i in first["items"]]
    assert played == sorted(played, reverse=True)
    older = tools.ok("get_recently_played", {"limit": 5, "before": first["next_before"]})
    assert older["items"] and older["items"][0]["played_at"] < played[-1]


def test_top_artists_and_tracks(tools, alice):
    artists = tools.ok("get_top_artists", {"time_range": "short_term", "limit": 3})
    assert len(artists["items"]) == 3 and artists["next_offset"] == 3
    tracks = tools.ok("get_top_tracks", {"limit": 2, "offset": 2})
    assert len(tracks["items"]) == 2 and tracks["offset"] == 2
