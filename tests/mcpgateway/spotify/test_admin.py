"""Admins see Spotify grants, never a token, and refresh or disconnect them."""

import pytest

from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import make_grant
from tests.support.emulator import refresh_requests

pytestmark = pytest.mark.django_db


def test_grant_pages_never_show_a_token(admin_client, emulator, person):
    grant, minted = make_grant(emulator, person)
    stored = SpotifyGrant.objects.values_list("access_token", "refresh_token").get(pk=grant.pk)
    for url in ("/admin/mcpgateway/spotifygrant/", f"/admin/mcpgateway/spotifygrant/{grant.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert grant.spotify_user_id in page
        for secret in (minted["access_token"], minted["refresh_token"], *(s.ciphertext for s in stored)):
            assert secret not in page


def test_grants_can_be_searched_and_filtered(admin_client, emulator, person, django_user_model):
    make_grant(emulator, person)
    other = django_user_model.objects.create_user(username="zed")
    grant, _ = make_grant(emulator, other)
    SpotifyGrant.objects.filter(pk=grant.pk).update(status=SpotifyGrant.Status.NEEDS_RECONNECT)
    page = admin_client.get("/admin/mcpgateway/spotifygrant/", {"q": "zed"}).content.decode()
    assert "zed" in page and ">pat<" not in page
    page = admin_client.get("/admin/mcpgateway/spotifygrant/", {"status__exact": "needs_reconnect"}).content.decode()
    assert "zed" in page and ">pat<" not in page


def test_refresh_now_action(admin_client, emulator, person):
    grant, minted = make_grant(emulator, person)
    response = admin_client.post("/admin/mcpgateway/spotifygrant/", {"action": "refresh_now", "_selected_action": [grant.pk]}, follow=True)
    assert "Refreshed 1 grant(s)" in response.content.decode()
    grant.refresh_from_db()
    assert grant.access_token.reveal() != minted["access_token"]
    assert refresh_requests(emulator) == {"success": 1}


def test_disconnect_action(admin_client, emulator, person):
    grant, _ = make_grant(emulator, person)
    admin_client.post("/admin/mcpgateway/spotifygrant/", {"action": "disconnect", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.DISCONNECTED and grant.refresh_token is None
