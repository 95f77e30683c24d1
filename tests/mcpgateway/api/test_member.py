"""A person's own data through the API: clients, tokens, consents, Spotify. Another person's ids are
404 and change nothing. Every answer matches the served schema."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from accounts.models import PersonalAccessToken
from accounts.services import personal_access_token_create
from mcpgateway.mcp.auth import authenticate_personal_access_token
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.oauth.services import oauth_authorization_record
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import make_grant, public_client
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, make_client

from .conftest import Api, api_token

pytestmark = pytest.mark.django_db


def script_token(user, name="laptop script"):
    token, plaintext = personal_access_token_create(user=user, name=name, scopes={"spotify:read"}, expires_in_days=30)
    return token, plaintext


def client_of(token, name="Claude Desktop", **fields):
    return McpSession.objects.create(user=token.user, kind=McpSession.Kind.SESSION, credential_id=token.credential_id,
                                     client_name=name, protocol_version="2025-11-25", last_seen_at=timezone.now(),
                                     expires_at=timezone.now() + timedelta(days=1), **fields)


def consent_of(user, name="Cursor"):
    return oauth_authorization_record(user=user, application=make_client(name=name), scopes={"spotify:read"}, redirect_uri=REDIRECT_URI)


@pytest.fixture
def someone_else(django_user_model):
    return django_user_model.objects.create_user(username="other", password="x")


def test_me_says_who_you_are(member_api):
    assert member_api.get("/me").json()["username"] == "pat"


def test_clients_lists_your_clients_with_their_credentials_and_no_one_elses(member_api, someone_else):
    token, _ = script_token(member_api.person)
    client_of(token)
    consent_of(member_api.person, "Cursor")
    client_of(script_token(someone_else)[0], name="not yours")
    body = member_api.get("/clients").json()
    assert body["count"] == 2
    by_name = {item["client_name"]: item for item in body["items"]}
    assert set(by_name) == {"Claude Desktop", "Cursor"}
    assert by_name["Claude Desktop"]["credential"] == {"id": token.credential_id, "type": "token", "name": "laptop script"}
    assert by_name["Cursor"]["credential"]["type"] == "oauth"
    assert by_name["Cursor"]["credential"]["name"] == "Cursor"


def test_revoking_a_client_ends_its_credential_for_every_client_using_it(member_api):
    token, plaintext = script_token(member_api.person)
    first, second = client_of(token), client_of(token, name="Zed")
    response = member_api.post(f"/clients/{first.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["clients_stopped"] == 2
    assert "laptop script" in response.json()["detail"]
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at is not None
    assert McpSession.objects.get(pk=second.pk).revoked_by == member_api.person
    assert authenticate_personal_access_token(plaintext) is None
    assert member_api.post(f"/clients/{first.pk}/revoke").status_code == 404  # already revoked


def test_tokens_are_listed_created_once_and_revoked(member_api):
    created = member_api.post("/tokens", {"name": "cron job", "scopes": ["api"], "expires_in_days": None})
    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"
    body = created.json()
    assert body["token"].startswith("smgp_") and body["prefix"] == body["token"][:9]
    assert body["scopes"] == ["api"] and body["expires_at"] is None and body["active"]
    assert authenticate_personal_access_token(body["token"]).user_id == member_api.person.pk
    listed = member_api.get("/tokens").json()
    assert {item["name"] for item in listed["items"]} == {"cron job", "script"}
    assert all("token" not in item for item in listed["items"])  # the plaintext is in the create answer only
    client_of(PersonalAccessToken.objects.get(pk=body["id"]))
    revoked = member_api.delete(f"/tokens/{body['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["clients_stopped"] == 1
    assert authenticate_personal_access_token(body["token"]) is None
    assert member_api.delete(f"/tokens/{body['id']}").status_code == 404
    assert [item["name"] for item in member_api.get("/tokens").json()["items"]] == ["script"]


def test_a_token_cannot_make_a_token_with_a_scope_it_lacks(member_api):
    response = member_api.post("/tokens", {"name": "wider", "scopes": ["api", "spotify:playback"], "expires_in_days": 30})
    assert response.status_code == 403
    assert "spotify:playback" in response.json()["detail"] and "its own scopes or fewer" in response.json()["detail"]
    assert PersonalAccessToken.objects.count() == 1


@pytest.mark.parametrize("expires_in_days", [None, 31])
def test_a_token_cannot_make_a_token_that_outlives_it(person, expires_in_days):
    _, plaintext = personal_access_token_create(user=person, name="month", scopes={"api", "spotify:read"}, expires_in_days=30)
    api = Api(token=plaintext)
    response = api.post("/tokens", {"name": "longer", "scopes": ["spotify:read"], "expires_in_days": expires_in_days})
    assert response.status_code == 403
    assert "expire no later than itself" in response.json()["detail"]
    assert api.post("/tokens", {"name": "shorter", "scopes": ["spotify:read"], "expires_in_days": 29}).status_code == 201
    assert set(PersonalAccessToken.objects.values_list("name", flat=True)) == {"month", "shorter"}


def test_a_signed_in_browser_makes_tokens_with_any_scope(person):
    browser = public_client()  # Django's test client skips the CSRF check, which test_auth covers
    browser.force_login(person)
    created = Api(browser).post("/tokens", {"name": "wide", "scopes": ["api", "spotify:playback"], "expires_in_days": None})
    assert created.status_code == 201, created.content


def test_a_script_can_revoke_its_own_token_and_is_then_refused(member_api):
    own = PersonalAccessToken.objects.get(user=member_api.person)
    assert member_api.delete(f"/tokens/{own.pk}").status_code == 200
    assert member_api.get("/me").status_code == 401


@pytest.mark.parametrize("body, message", [
    ({"name": "", "scopes": ["spotify:read"]}, "Give the token a name"),
    ({"name": "x" * 101, "scopes": ["spotify:read"]}, "at most 100"),
    ({"name": "nul\x00", "scopes": ["spotify:read"]}, "control characters"),
    ({"name": "ok", "scopes": []}, "at least one scope"),
    ({"name": "ok", "scopes": ["spotify:everything"]}, "Unknown scopes"),
    ({"name": "ok", "scopes": ["spotify:read"], "expires_in_days": 0}, "between 1 and 3650"),
    ({"name": "ok", "scopes": ["spotify:read"], "expires_in_days": 10**40}, "between 1 and 3650"),
])
def test_a_token_the_service_refuses_is_a_400_saying_why(member_api, body, message):
    response = member_api.post("/tokens", body)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert PersonalAccessToken.objects.count() == 1


def test_consents_are_listed_and_withdrawing_one_revokes_its_tokens(member_api, someone_else):
    authorization = consent_of(member_api.person, "Cursor")
    consent_of(someone_else, "Theirs")
    access = get_access_token_model().objects.create(
        user=member_api.person, application=authorization.application, token="a", scope="spotify:read",
        expires=timezone.now() + timedelta(hours=1),
    )
    body = member_api.get("/consents").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["client_name"] == "Cursor" and item["client_id"] == authorization.application.client_id
    assert item["scopes"] == ["spotify:read"]
    response = member_api.delete(f"/consents/{authorization.pk}")
    assert response.status_code == 200
    assert "must ask for your approval again" in response.json()["detail"]
    assert not get_access_token_model().objects.filter(pk=access.pk).exists()
    assert member_api.get("/consents").json()["count"] == 0
    assert member_api.delete(f"/consents/{authorization.pk}").status_code == 404


def test_spotify_status_shows_no_token_and_disconnect_forgets_them(member_api, emulator):
    assert member_api.get("/spotify").json()["status"] is None
    assert member_api.post("/spotify/disconnect").status_code == 409
    grant, minted = make_grant(emulator, member_api.person)
    status = member_api.get("/spotify")
    assert status.json()["status"] == "active"
    assert status.json()["spotify_user_id"] == grant.spotify_user_id
    assert minted["access_token"] not in status.content.decode()
    assert minted["refresh_token"] not in status.content.decode()
    disconnected = member_api.post("/spotify/disconnect")
    assert disconnected.status_code == 200
    assert disconnected.json()["status"] == "disconnected"
    assert SpotifyGrant.objects.get(pk=grant.pk).access_token is None
    again = member_api.post("/spotify/disconnect")
    assert again.status_code == 409
    assert again.json() == {"detail": "Spotify was not connected."}


def test_another_persons_ids_are_404_and_change_nothing(member_api, someone_else):
    theirs, _ = script_token(someone_else)
    their_client = client_of(theirs)
    their_consent = consent_of(someone_else)
    for method, path in [
        ("post", f"/clients/{their_client.pk}/revoke"),
        ("delete", f"/tokens/{theirs.pk}"),
        ("delete", f"/consents/{their_consent.pk}"),
        ("post", f"/clients/{their_consent.session_id}/revoke"),
    ]:
        response = getattr(member_api, method)(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found (or not yours)."}
    assert PersonalAccessToken.objects.get(pk=theirs.pk).revoked_at is None
    assert McpSession.objects.filter(user=someone_else, revoked_at__isnull=True).count() == 2
    assert OAuthAuthorization.objects.get(pk=their_consent.pk).session.revoked_at is None


def test_lists_are_paged(member_api):
    for index in range(7):
        script_token(member_api.person, name=f"t{index}")
    first = member_api.get("/tokens", query={"page_size": 3}).json()
    assert first["count"] == 8 and len(first["items"]) == 3
    last = member_api.get("/tokens", query={"page_size": 3, "page": 3}).json()
    assert len(last["items"]) == 2
    beyond = member_api.get("/tokens", query={"page_size": 3, "page": 50}).json()
    assert beyond == {"items": [], "count": 8}
    names = [item["name"] for page in (1, 2, 3) for item in member_api.get("/tokens", query={"page_size": 3, "page": page}).json()["items"]]
    assert len(set(names)) == 8


def test_a_browser_session_sees_the_same_as_a_token(person):
    script = Api(token=api_token(person))
    browser = Api()
    browser.client.force_login(person)
    assert script.get("/me").status_code == 200  # notes the token's use (once a minute at most)
    assert browser.get("/tokens").json() == script.get("/tokens").json()
    assert browser.get("/tokens").json()["count"] == 1
