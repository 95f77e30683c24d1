"""Team admins through the API: people (deactivating one ends their credentials), Spotify grants
(refresh, disconnect; never a token in an answer) and everyone's clients."""

import pytest
from django.utils import timezone

from accounts.models import PersonalAccessToken
from mcpgateway.core.crypto import SecretToken
from mcpgateway.mcp.auth import authenticate_personal_access_token
from mcpgateway.mcp.models import McpSession
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import make_grant

from .conftest import Api, api_token
from .test_member import client_of, consent_of, script_token

pytestmark = pytest.mark.django_db


def test_people_are_listed_paged_and_filtered_by_activity_and_role(admin_api, person, django_user_model, emulator):
    make_grant(emulator, person)
    django_user_model.objects.create_user(username="zoe", password="x", is_active=False)
    everyone = admin_api.get("/admin/people").json()
    assert [item["username"] for item in everyone["items"]] == ["ada", "pat", "zoe"]
    by_name = {item["username"]: item for item in everyone["items"]}
    assert by_name["pat"]["spotify_status"] == "active" and by_name["ada"]["spotify_status"] is None
    assert by_name["ada"]["is_admin"] and not by_name["pat"]["is_admin"]
    assert [i["username"] for i in admin_api.get("/admin/people", query={"active": "false"}).json()["items"]] == ["zoe"]
    assert [i["username"] for i in admin_api.get("/admin/people", query={"role": "admin"}).json()["items"]] == ["ada"]
    members = admin_api.get("/admin/people", query={"role": "member", "active": "true"}).json()
    assert [i["username"] for i in members["items"]] == ["pat"]
    page = admin_api.get("/admin/people", query={"page_size": 1, "page": 2}).json()
    assert page["count"] == 3 and [i["username"] for i in page["items"]] == ["pat"]


def test_deactivating_a_person_ends_every_credential_they_hold(admin_api, person):
    token, plaintext = script_token(person)
    row = client_of(token)
    authorization = consent_of(person)
    response = admin_api.post(f"/admin/people/{person.pk}/deactivate")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    person.refresh_from_db()
    assert not person.is_active
    assert authenticate_personal_access_token(plaintext) is None
    assert McpSession.objects.get(pk=row.pk).revoked_at is not None
    assert McpSession.objects.get(pk=authorization.session_id).revoked_at is not None
    again = admin_api.post(f"/admin/people/{person.pk}/deactivate")
    assert again.status_code == 409
    assert "already deactivated" in again.json()["detail"]


def test_an_admin_cannot_deactivate_themselves_nor_a_member_anyone(admin_api, person, team_admin):
    assert admin_api.post(f"/admin/people/{team_admin.pk}/deactivate").status_code == 409
    member = Api(token=api_token(person))
    assert member.post(f"/admin/people/{team_admin.pk}/deactivate").status_code == 403
    team_admin.refresh_from_db()
    assert team_admin.is_active


def test_only_a_superuser_deactivates_a_superuser(admin_api, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x")
    response = admin_api.post(f"/admin/people/{root.pk}/deactivate")
    assert response.status_code == 403
    assert "superuser" in response.json()["detail"]
    root.refresh_from_db()
    assert root.is_active
    other_root = django_user_model.objects.create_superuser(username="root2", password="x")
    assert Api(token=api_token(root)).post(f"/admin/people/{other_root.pk}/deactivate").status_code == 200


def test_grants_are_listed_without_tokens_and_filtered(admin_api, person, emulator, django_user_model):
    grant, minted = make_grant(emulator, person)
    other = django_user_model.objects.create_user(username="other", password="x")
    other_grant, _ = make_grant(emulator, other)
    SpotifyGrant.objects.filter(pk=other_grant.pk).update(status=SpotifyGrant.Status.NEEDS_RECONNECT)
    response = admin_api.get("/admin/grants")
    assert response.json()["count"] == 2
    assert minted["access_token"] not in response.content.decode() and minted["refresh_token"] not in response.content.decode()
    item = response.json()["items"][0]
    assert item["person"] == {"id": other.pk, "username": "other"} and item["status"] == "needs_reconnect"
    assert [i["id"] for i in admin_api.get("/admin/grants", query={"status": "active"}).json()["items"]] == [grant.pk]
    assert [i["id"] for i in admin_api.get("/admin/grants", query={"person": person.pk}).json()["items"]] == [grant.pk]


def test_an_admin_refreshes_a_grant_now(admin_api, person, emulator):
    grant, minted = make_grant(emulator, person)
    response = admin_api.post(f"/admin/grants/{grant.pk}/refresh")
    assert response.status_code == 200, response.content
    assert response.json()["last_refreshed_at"] is not None
    grant.refresh_from_db()
    assert grant.access_token.reveal() != minted["access_token"]


def test_a_refresh_spotify_refuses_is_a_409_and_the_grant_needs_reconnecting(admin_api, person, emulator):
    grant, _ = make_grant(emulator, person)
    SpotifyGrant.objects.filter(pk=grant.pk).update(refresh_token=SecretToken.from_plaintext("not a refresh token Spotify knows"))
    response = admin_api.post(f"/admin/grants/{grant.pk}/refresh")
    assert response.status_code == 409, response.content
    assert "reconnect" in response.json()["detail"]
    assert SpotifyGrant.objects.get(pk=grant.pk).status == SpotifyGrant.Status.NEEDS_RECONNECT


def test_a_refresh_spotify_fails_to_answer_is_a_502(admin_api, person, emulator, settings):
    settings.SPOTIFY_REFRESH_MAX_ATTEMPTS = 1
    grant, _ = make_grant(emulator, person)
    emulator.set_faults(fail_next=1, fail_status=502)
    response = admin_api.post(f"/admin/grants/{grant.pk}/refresh")
    assert response.status_code == 502, response.content
    assert "try again later" in response.json()["detail"]
    assert SpotifyGrant.objects.get(pk=grant.pk).status == SpotifyGrant.Status.ACTIVE


def test_an_admin_disconnects_a_grant(admin_api, person, emulator):
    grant, _ = make_grant(emulator, person)
    response = admin_api.post(f"/admin/grants/{grant.pk}/disconnect")
    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    assert SpotifyGrant.objects.get(pk=grant.pk).access_token is None
    assert admin_api.post(f"/admin/grants/{grant.pk}/disconnect").status_code == 409
    assert admin_api.post(f"/admin/grants/{grant.pk}/refresh").status_code == 409


def test_admin_grant_and_person_ids_that_do_not_exist_are_404(admin_api):
    for path in ["/admin/grants/999/refresh", "/admin/grants/999/disconnect", "/admin/people/999/deactivate",
                 "/admin/clients/00000000-0000-0000-0000-000000000000/revoke"]:
        response = admin_api.post(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found (or not yours)."}


def test_an_admin_sees_and_revokes_anyones_clients(admin_api, person, django_user_model):
    token, plaintext = script_token(person)
    row = client_of(token, user_agent="curl/8", ip_address="192.0.2.1")
    other = django_user_model.objects.create_user(username="other", password="x")
    client_of(script_token(other)[0], name="theirs")
    listed = admin_api.get("/admin/clients").json()
    assert listed["count"] == 2
    mine = admin_api.get("/admin/clients", query={"person": person.pk}).json()["items"]
    assert [(i["client_name"], i["person"]["username"], i["credential"]["name"], i["ip_address"]) for i in mine] == [
        ("Claude Desktop", "pat", "laptop script", "192.0.2.1")]
    response = admin_api.post(f"/admin/clients/{row.pk}/revoke")
    assert response.status_code == 200
    assert authenticate_personal_access_token(plaintext) is None
    assert McpSession.objects.get(pk=row.pk).revoked_by == admin_api.person
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at <= timezone.now()
    assert admin_api.get("/admin/clients").json()["count"] == 1
