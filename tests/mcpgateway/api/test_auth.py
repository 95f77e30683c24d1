"""Who may call the API: a signed-in browser (CSRF on POST/DELETE), or a personal access token with
the `api` scope; team admins only under /api/admin/. Every answer matches the served schema."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import PersonalAccessToken
from mcpgateway.core.scopes import ALL_MCP_SCOPES, MCP_SCOPES
from tests.conftest import make_personal_access_token, public_client

from .conftest import Api, api_token

pytestmark = pytest.mark.django_db

MEMBER_GETS = ["/me", "/clients", "/tokens", "/consents", "/spotify", "/activity"]
ADMIN_GETS = ["/admin/people", "/admin/grants", "/admin/clients", "/admin/invitations", "/admin/activity"]


@pytest.mark.parametrize("path", MEMBER_GETS + ADMIN_GETS)
def test_without_credentials_the_api_answers_401_in_json(path):
    response = Api().get(path)
    assert response.status_code == 401
    assert "api scope" in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("token", ["smgp_not-a-token", "not even the prefix", "smgp_" + "x" * 600, ""])
def test_an_unknown_token_is_401(person, token):
    response = Api(token=token).get("/me") if token else Api().get("/me", headers={"Authorization": "Bearer "})
    assert response.status_code == 401


def test_a_token_without_the_api_scope_is_403_naming_the_scope(person):
    response = Api(token=make_personal_access_token(person, scopes=ALL_MCP_SCOPES)).get("/tokens")
    assert response.status_code == 403
    assert "`api`" in response.json()["detail"]


def test_a_token_with_the_api_scope_acts_as_its_owner(person):
    response = Api(token=api_token(person)).get("/me")
    assert response.status_code == 200
    assert response.json() == {"id": person.pk, "username": "pat", "is_admin": False, "authenticated_by": "token", "token_scopes": ["api"]}
    assert PersonalAccessToken.objects.get(user=person).last_used_at is not None


def test_revoked_expired_and_deactivated_tokens_are_401(person, django_user_model):
    revoked, expired = api_token(person, name="revoked"), api_token(person, name="expired")
    PersonalAccessToken.objects.filter(name="revoked").update(revoked_at=timezone.now())
    PersonalAccessToken.objects.filter(name="expired").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Api(token=revoked).get("/me").status_code == 401
    assert Api(token=expired).get("/me").status_code == 401
    someone = django_user_model.objects.create_user(username="gone", password="x")
    token = api_token(someone)
    assert Api(token=token).get("/me").status_code == 200
    someone.is_active = False
    someone.save()
    assert Api(token=token).get("/me").status_code == 401


def test_an_oauth_access_token_is_not_accepted(person):
    from oauth2_provider.models import get_access_token_model

    from tests.mcpgateway.oauth.conftest import make_client

    get_access_token_model().objects.create(
        user=person, application=make_client(), token="an-oauth-access-token", scope="spotify:read api",
        expires=timezone.now() + timedelta(hours=1),
    )
    assert Api(token="an-oauth-access-token").get("/me").status_code == 401


def test_a_signed_in_browser_uses_its_session(person):
    api = Api()
    api.client.force_login(person)
    response = api.get("/me")
    assert response.status_code == 200
    assert response.json()["authenticated_by"] == "session"
    assert response.json()["token_scopes"] is None


def test_a_browser_post_needs_the_csrf_token(person):
    api = Api(public_client(enforce_csrf_checks=True))
    api.client.force_login(person)
    body = {"name": "from the browser", "scopes": ["spotify:read"], "expires_in_days": 30}
    refused = api.post("/tokens", body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not PersonalAccessToken.objects.exists()
    # GET /api/me sets the csrftoken cookie; a page's script sends it back as X-CSRFToken.
    assert api.get("/me").status_code == 200
    csrf = api.client.cookies["csrftoken"].value
    created = api.post("/tokens", body, headers={"X-CSRFToken": csrf})
    assert created.status_code == 201, created.content
    assert PersonalAccessToken.objects.get().name == "from the browser"


def test_a_script_needs_no_csrf_token(person):
    api = Api(public_client(enforce_csrf_checks=True), token=api_token(person))
    response = api.post("/tokens", {"name": "from a script", "scopes": ["api"]})
    assert response.status_code == 201


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_members_are_refused_the_admin_endpoints(person, path):
    assert Api(token=api_token(person)).get(path).status_code == 403
    browser = Api()
    browser.client.force_login(person)
    response = browser.get(path)
    assert response.status_code == 403
    assert "team admins" in response.json()["detail"]


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_team_admins_reach_the_admin_endpoints_by_token_and_session(team_admin, path):
    assert Api(token=api_token(team_admin)).get(path).status_code == 200
    browser = Api()
    browser.client.force_login(team_admin)
    assert browser.get(path).status_code == 200


def test_the_api_scope_is_offered_on_the_dashboard_unchecked_and_never_to_oauth_clients(client, person):
    client.force_login(person)
    page = client.get("/").content.decode()
    assert 'value="api">' in page  # offered, not checked
    for scope in MCP_SCOPES:
        assert f'value="{scope}" checked>' in page
    metadata = client.get("/.well-known/oauth-protected-resource/mcp").json()
    assert "api" not in metadata["scopes_supported"]
    from mcpgateway.oauth.scopes import GatewayScopes

    assert "api" not in GatewayScopes().get_available_scopes()


def test_the_docs_and_the_schema_are_served(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/openapi.json" in docs.content
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "Spotify MCP gateway API"
    assert {"/api/me", "/api/tokens", "/api/admin/people"} <= set(schema["paths"])


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such API endpoint: see /api/docs."}
