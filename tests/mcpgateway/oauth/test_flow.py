"""The authorization code flow in-process: discovery documents, consent, code, tokens, /mcp auth."""

import asyncio
import re

import pytest
from django.conf import settings

from mcpgateway.core.revocation import bump_revocation_epoch
from mcpgateway.mcp.auth import authenticate_bearer
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from tests.mcpgateway.oauth.conftest import approve, authorize_url, exchange, pkce_pair, redirect_query, tokens_for

pytestmark = pytest.mark.django_db(transaction=True)


def principal_of(token):
    bump_revocation_epoch()  # verify afresh, not from this process's cache
    return asyncio.run(authenticate_bearer(token))


def test_authorization_server_metadata_names_the_issuer_and_what_it_supports(client):
    document = client.get("/.well-known/oauth-authorization-server").json()

    assert document["issuer"] == settings.PUBLIC_BASE_URL == settings.OAUTH_ISSUER
    assert not document["issuer"].endswith("/")
    assert document["authorization_endpoint"] == f"{settings.PUBLIC_BASE_URL}/oauth/authorize"
    assert document["token_endpoint"] == f"{settings.PUBLIC_BASE_URL}/oauth/token"
    assert document["revocation_endpoint"] == f"{settings.PUBLIC_BASE_URL}/oauth/revoke"
    assert document["registration_endpoint"] == f"{settings.PUBLIC_BASE_URL}/oauth/register"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["client_id_metadata_document_supported"] is True
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert set(document["scopes_supported"]) == {"spotify:read", "spotify:playback", "spotify:library", "spotify:playlists"}


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])
def test_protected_resource_metadata_uses_the_same_issuer(client, path):
    document = client.get(path).json()
    assert document["resource"] == settings.OAUTH_RESOURCE
    assert document["authorization_servers"] == [settings.OAUTH_ISSUER]


def test_the_protected_resource_metadata_is_not_served_for_other_paths(client):
    assert client.get("/.well-known/oauth-protected-resource/admin").status_code == 404


def test_consent_page_shows_the_client_where_it_sends_you_and_the_scopes_in_words(signed_in, oauth_client):
    _verifier, challenge = pkce_pair()
    page = signed_in.get(authorize_url(oauth_client, challenge))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Test client" in html
    assert "127.0.0.1:43210" in html
    assert 'data-testid="loopback-warning"' in html  # every redirect URI is on this computer
    assert "Control playback on your devices" in html
    assert "csrfmiddlewaretoken" in html
    assert page["X-Frame-Options"] == "DENY"
    assert page["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_no_loopback_warning_for_a_client_with_a_web_redirect(signed_in, db):
    from tests.mcpgateway.oauth.conftest import make_client

    app = make_client(redirect_uris="https://client.example/cb")
    _verifier, challenge = pkce_pair()
    page = signed_in.get(authorize_url(app, challenge, redirect_uri="https://client.example/cb"))
    assert page.status_code == 200
    assert 'data-testid="loopback-warning"' not in page.content.decode()


def test_approving_gives_a_code_with_iss_and_tokens_bound_to_mcp(signed_in, oauth_client, person):
    verifier, challenge = pkce_pair()
    answer = approve(signed_in, oauth_client, challenge)

    assert answer["state"] == "s-123"
    assert answer["iss"] == settings.OAUTH_ISSUER
    response = exchange(signed_in, oauth_client, answer["code"], verifier)
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    assert tokens["expires_in"] <= 3600

    principal = principal_of(tokens["access_token"])
    assert principal.kind == "oauth" and principal.user_id == person.pk
    assert principal.audience == settings.OAUTH_RESOURCE
    assert principal.scopes == {"spotify:read", "spotify:playback", "spotify:library", "spotify:playlists"}
    # The authorization is one session row, shown and revocable like any client.
    authorization = OAuthAuthorization.objects.get(user=person, application=oauth_client)
    assert authorization.session.kind == McpSession.Kind.CONNECTION
    assert principal.credential_id == f"oauth:{authorization.session_id.hex}"


def test_only_hashes_of_tokens_are_stored(signed_in, oauth_client):
    from oauth2_provider.models import AccessToken, RefreshToken

    tokens = tokens_for(signed_in, oauth_client)
    assert not AccessToken.objects.filter(token=tokens["access_token"]).exists()
    assert set(AccessToken.objects.values_list("token", flat=True)) == {""}
    assert set(RefreshToken.objects.values_list("token", flat=True)) == {""}


def test_consent_is_remembered_for_the_same_client_and_scopes(signed_in, oauth_client):
    tokens_for(signed_in, oauth_client)
    _verifier, challenge = pkce_pair()

    again = signed_in.get(authorize_url(oauth_client, challenge))
    assert "code" in redirect_query(again)  # no consent page the second time
    more = signed_in.get(authorize_url(oauth_client, challenge, scope="spotify:read"))
    assert "code" in redirect_query(more)  # fewer scopes are covered too


def test_remembered_consent_of_a_public_client_holds_only_for_the_redirect_uri_approved(signed_in, oauth_client):
    """RFC 6749 §10.2 / RFC 8252 §7.3: a loopback port may vary, so any local program could ask for
    a code on another port; without the person seeing the page again it must not get one."""
    tokens_for(signed_in, oauth_client)  # approved for http://127.0.0.1:43210/callback
    _verifier, challenge = pkce_pair()

    other_port = signed_in.get(authorize_url(oauth_client, challenge, redirect_uri="http://127.0.0.1:5555/callback"))
    assert other_port.status_code == 200 and 'id="authorizationForm"' in other_port.content.decode()
    assert "127.0.0.1:5555" in other_port.content.decode()
    assert "code" in redirect_query(signed_in.get(authorize_url(oauth_client, challenge)))  # the approved one still is


def test_remembered_consent_follows_the_redirect_uri_approved_last(signed_in, oauth_client):
    tokens_for(signed_in, oauth_client)
    _verifier, challenge = pkce_pair()
    new_uri = "http://127.0.0.1:5555/callback"
    answer = approve(signed_in, oauth_client, challenge, redirect_uri=new_uri)
    assert "code" in answer
    assert "code" in redirect_query(signed_in.get(authorize_url(oauth_client, challenge, redirect_uri=new_uri)))
    assert OAuthAuthorization.objects.get().redirect_uri == new_uri


def test_consent_is_asked_again_for_more_scopes(signed_in, oauth_client):
    verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge, scope="spotify:read")["code"]
    exchange(signed_in, oauth_client, code, verifier)

    assert signed_in.get(authorize_url(oauth_client, challenge, scope="spotify:read spotify:playback")).status_code == 200


def test_consent_is_asked_again_after_revocation(signed_in, oauth_client, person):
    from mcpgateway.core.credentials import sessions_revoke

    tokens_for(signed_in, oauth_client)
    sessions_revoke(sessions=McpSession.objects.filter(user=person), revoked_by=person)
    _verifier, challenge = pkce_pair()
    assert signed_in.get(authorize_url(oauth_client, challenge)).status_code == 200


def test_denying_sends_access_denied_and_nothing_is_issued(signed_in, oauth_client):
    from tests.mcpgateway.oauth.conftest import consent

    _verifier, challenge = pkce_pair()
    answer = redirect_query(consent(signed_in, authorize_url(oauth_client, challenge), allow=False))
    assert answer["error"] == "access_denied"
    assert not OAuthAuthorization.objects.exists()


def test_without_a_spotify_grant_the_flow_goes_through_connect_spotify(client, person, oauth_client):
    client.force_login(person)
    _verifier, challenge = pkce_pair()
    url = authorize_url(oauth_client, challenge)

    response = client.get(url)
    assert response.status_code == 302
    assert "/authorize" in response["Location"] and "code_challenge" in response["Location"]
    assert response["Location"].startswith(settings.SPOTIFY_ACCOUNTS_URL)
    assert client.session["oauth_authorize_resume"] == url


def test_signing_in_comes_first(client, oauth_client):
    _verifier, challenge = pkce_pair()
    response = client.get(authorize_url(oauth_client, challenge))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("redirect_uri", ["http://127.0.0.1:5555/callback", "http://127.0.0.1:61000/callback"])
def test_loopback_redirect_uris_match_on_any_port(signed_in, oauth_client, redirect_uri):
    _verifier, challenge = pkce_pair()
    assert signed_in.get(authorize_url(oauth_client, challenge, redirect_uri=redirect_uri)).status_code == 200


def test_localhost_redirect_uris_match_on_any_port(signed_in, db):
    from tests.mcpgateway.oauth.conftest import make_client

    app = make_client(redirect_uris="http://localhost:3334/oauth/callback")
    _verifier, challenge = pkce_pair()
    assert signed_in.get(authorize_url(app, challenge, redirect_uri="http://localhost:47001/oauth/callback")).status_code == 200


@pytest.mark.parametrize("redirect_uri", ["https://client.example/cb/other", "https://client.example:8443/cb", "https://client.example/cb?x=1"])
def test_other_redirect_uris_must_match_exactly(signed_in, db, redirect_uri):
    from tests.mcpgateway.oauth.conftest import make_client

    app = make_client(redirect_uris="https://client.example/cb")
    _verifier, challenge = pkce_pair()
    response = signed_in.get(authorize_url(app, challenge, redirect_uri=redirect_uri))
    assert response.status_code == 400  # an error page, never a redirect to the unregistered URI


def test_plain_http_redirect_uris_are_refused_off_loopback(signed_in, db):
    from tests.mcpgateway.oauth.conftest import make_client

    app = make_client(redirect_uris="http://client.example/cb")
    _verifier, challenge = pkce_pair()
    assert signed_in.get(authorize_url(app, challenge, redirect_uri="http://client.example/cb")).status_code == 400


def test_the_dashboard_lists_the_authorization_and_revoking_it_there_revokes_its_tokens(signed_in, oauth_client, person):
    from oauth2_provider.models import AccessToken, RefreshToken

    tokens = tokens_for(signed_in, oauth_client)
    authorization = OAuthAuthorization.objects.get(user=person)
    page = signed_in.get("/").content.decode()
    assert "Test client" in page and "signed in with OAuth" in page
    assert f"/sessions/{authorization.session_id}/revoke" in page

    assert signed_in.post(f"/sessions/{authorization.session_id}/revoke").status_code == 302
    assert asyncio.run(authenticate_bearer(tokens["access_token"])) is None  # the epoch moved
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_the_admin_revokes_an_authorization_through_its_session(client, signed_in, oauth_client, person, django_user_model):
    tokens_for(signed_in, oauth_client)
    authorization = OAuthAuthorization.objects.get(user=person)
    admin = django_user_model.objects.create_superuser(username="admin", password="x-long-admin-password")
    client.force_login(admin)
    assert client.get("/admin/mcpgateway/oauthauthorization/").status_code == 200
    response = client.post("/admin/mcpgateway/mcpsession/", {"action": "revoke", "_selected_action": [str(authorization.session_id)]})
    assert response.status_code == 302
    authorization.session.refresh_from_db()
    assert authorization.session.revoked_at is not None
    from oauth2_provider.models import AccessToken

    assert not AccessToken.objects.filter(user=person).exists()


def test_the_dashboard_says_how_a_2025_session_of_an_oauth_client_signed_in(signed_in, oauth_client, person, start_gateway):
    """A 2025-11-25 client (mcp-remote, say) opens sessions with its OAuth token: each session is
    listed under the OAuth client it signed in as."""
    from tests.mcpgateway.mcp.conftest import legacy_session

    tokens = tokens_for(signed_in, oauth_client)
    worker = start_gateway(PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL)  # the tokens' audience
    legacy_session(worker, tokens["access_token"], name="desktop-app-via-proxy")

    page = signed_in.get("/").content.decode()
    clients = re.findall(r'<tbody data-testid="oauth-client"[^>]*>.*?</tbody>', page, re.S)
    client = [block for block in clients if "desktop-app-via-proxy" in block]
    assert client, page
    assert "signed in with OAuth" in client[0] and 'data-testid="oauth-client-session"' in client[0], client[0]
