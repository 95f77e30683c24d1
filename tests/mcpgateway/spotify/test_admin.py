"""Admins see Spotify grants, never a token, and refresh or disconnect them."""

import re

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


def listed_people(page: str) -> list[str]:
    """The people of the changelist's rows (the person filter beside it names everyone)."""
    return re.findall(r'<th class="field-user[^"]*"><a [^>]*>([^<]+)</a>', page)


def test_grants_can_be_searched_and_filtered(admin_client, emulator, person, django_user_model):
    make_grant(emulator, person)
    other = django_user_model.objects.create_user(username="zed")
    grant, _ = make_grant(emulator, other)
    SpotifyGrant.objects.filter(pk=grant.pk).update(status=SpotifyGrant.Status.NEEDS_RECONNECT)
    page = admin_client.get("/admin/mcpgateway/spotifygrant/", {"q": "zed"}).content.decode()
    assert listed_people(page) == ["zed"]
    page = admin_client.get("/admin/mcpgateway/spotifygrant/", {"status__exact": "needs_reconnect"}).content.decode()
    assert listed_people(page) == ["zed"]
    page = admin_client.get("/admin/mcpgateway/spotifygrant/", {"user__id__exact": person.pk}).content.decode()
    assert listed_people(page) == ["pat"]


def test_refresh_now_action(admin_client, emulator, person):
    grant, minted = make_grant(emulator, person)
    response = admin_client.post("/admin/mcpgateway/spotifygrant/", {"action": "refresh_now", "_selected_action": [grant.pk]}, follow=True)
    assert "Refreshed 1 grant(s)" in response.content.decode()
    grant.refresh_from_db()
    assert grant.access_token.reveal() != minted["access_token"]
    assert refresh_requests(emulator) == {"success": 1}


def test_refresh_now_reports_a_failed_refresh_on_the_page(admin_client, emulator, person, settings):
    settings.SPOTIFY_REFRESH_MAX_ATTEMPTS = 1
    grant, _ = make_grant(emulator, person)
    emulator.set_faults(fail_next=1, fail_scope="token")
    response = admin_client.post("/admin/mcpgateway/spotifygrant/", {"action": "refresh_now", "_selected_action": [grant.pk]}, follow=True)
    assert response.status_code == 200
    assert "Refreshed 0 grant(s); 1 failed" in response.content.decode()


def test_disconnect_action(admin_client, emulator, person):
    grant, _ = make_grant(emulator, person)
    admin_client.post("/admin/mcpgateway/spotifygrant/", {"action": "disconnect", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.DISCONNECTED and grant.refresh_token is None
