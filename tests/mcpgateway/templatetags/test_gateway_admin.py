"""The admin index's Spotify app panel: the app in use, people connected against the limit, and the
failing grants with a link to them."""

import re
from html import unescape

import pytest

from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import TEST_CLIENT_ID, make_grant

pytestmark = pytest.mark.django_db


def panel(admin_client) -> dict[str, str]:
    page = admin_client.get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    cells = dict(re.findall(r'data-testid="(spotify-app[\w-]*)">(.*?)</td>', html, re.S))
    text = {key: re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", value))).strip() for key, value in cells.items()}
    return text | {"html": html}


def test_the_panel_counts_connected_people_against_the_limit_and_links_the_failing_grants(admin_client, emulator, django_user_model):
    grants = []
    for index in range(3):
        someone = django_user_model.objects.create_user(username=f"p{index}", password="x")
        grants.append(make_grant(emulator, someone)[0])
    SpotifyGrant.objects.filter(pk=grants[1].pk).update(status=SpotifyGrant.Status.NEEDS_RECONNECT)
    SpotifyGrant.objects.filter(pk=grants[2].pk).update(status=SpotifyGrant.Status.DISCONNECTED)

    shown = panel(admin_client)
    assert "emulator" in shown["spotify-app"] and TEST_CLIENT_ID in shown["spotify-app"]
    assert shown["spotify-app-connected"].startswith("2 of 5")  # a needing-reconnect grant still holds a place
    assert shown["spotify-app-failing"] == "1 needs reconnect"
    link = re.search(r'<a href="([^"]+)">1 needs reconnect', shown["html"]).group(1)
    failing = admin_client.get(unescape(link)).content.decode()
    assert re.findall(r'<th class="field-user[^"]*"><a [^>]*>([^<]+)</a>', failing) == ["p1"]


def test_the_panel_says_full_and_names_the_real_app(admin_client, emulator, person, settings):
    settings.SPOTIFY_USE_EMULATOR = False
    settings.SPOTIFY_CLIENT_ID = "0123456789abcdef0123456789abcdef"
    settings.SPOTIFY_APP_USER_LIMIT = 1
    make_grant(emulator, person)
    shown = panel(admin_client)
    assert shown["spotify-app"] == "Spotify, client id 0123456789abcdef0123456789abcdef"
    assert "1 of 1" in shown["spotify-app-connected"] and "full" in shown["spotify-app-connected"]
    settings.SPOTIFY_APP_USER_LIMIT = 0
    assert panel(admin_client)["spotify-app-connected"] == "1 (no limit)"


def test_the_panel_counts_the_grants_spotify_ends_soon_and_links_them(admin_client, emulator, django_user_model, settings):
    from datetime import timedelta

    from django.utils import timezone

    from mcpgateway.spotify.models import REFRESH_TOKEN_LIFETIME

    settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS = 7
    grants = [make_grant(emulator, django_user_model.objects.create_user(username=f"p{index}", password="x"))[0] for index in range(3)]
    ending = timezone.now() - REFRESH_TOKEN_LIFETIME + timedelta(days=3)
    SpotifyGrant.objects.filter(pk__in=[grants[0].pk, grants[1].pk]).update(consented_at=ending)
    SpotifyGrant.objects.filter(pk=grants[1].pk).update(status=SpotifyGrant.Status.NEEDS_RECONNECT)  # failing already

    shown = panel(admin_client)
    assert shown["spotify-app-ending"] == "1 ends within 7 days (Spotify's six months; the person is warned)"
    link = re.search(r'<a href="([^"]+)">1 ends within', shown["html"]).group(1)
    listed = admin_client.get(unescape(link)).content.decode()
    assert re.findall(r'<th class="field-user[^"]*"><a [^>]*>([^<]+)</a>', listed) == ["p0"]

    settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS = 0
    assert "spotify-app-ending" not in panel(admin_client)
