"""OAuth test helpers: a person signed in (with Spotify connected), clients, PKCE, and the steps of
the authorization code flow through Django's test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone
from oauth2_provider.models import get_application_model

from mcpgateway.core.crypto import SecretToken
from mcpgateway.core.scopes import MCP_SCOPES
from mcpgateway.spotify.models import SpotifyGrant
from tests.mcpgateway.oauth.cimd_support import PORT_VARIABLE, DocumentServer

Application = get_application_model()
REDIRECT_URI = "http://127.0.0.1:43210/callback"
CIMD_FETCHER = "tests.mcpgateway.oauth.cimd_support.LoopbackMetadataFetcher"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def connect_spotify(user) -> SpotifyGrant:
    """A connected Spotify grant (the consent page needs one; no Spotify call is made here)."""
    return SpotifyGrant.objects.create(
        user=user, spotify_user_id=f"sp-{user.pk}", display_name="Robin", scopes="user-read-private",
        access_token=SecretToken.from_plaintext("a"), refresh_token=SecretToken.from_plaintext("r"),
        access_token_expires_at=timezone.now() + timedelta(hours=1),
    )


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(username="robin", password="a long and unusual password")


@pytest.fixture
def signed_in(client, person):
    connect_spotify(person)
    client.force_login(person)
    return client


def make_client(name: str = "Test client", redirect_uris: str = REDIRECT_URI, **extra) -> Application:
    return Application.objects.create(
        name=name, client_type=Application.CLIENT_PUBLIC, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uris, registration_source=Application.RegistrationSource.DCR, **extra,
    )


@pytest.fixture
def oauth_client(db) -> Application:
    return make_client()


def authorize_query(app: Application, challenge: str, **overrides) -> dict:
    query = {
        "response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT_URI, "state": "s-123",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": settings.OAUTH_RESOURCE,
        "scope": " ".join(sorted(MCP_SCOPES)),
    }
    query.update(overrides)
    return {k: v for k, v in query.items() if v is not None}


def authorize_url(app: Application, challenge: str, **overrides) -> str:
    return "/oauth/authorize?" + urlencode(authorize_query(app, challenge, **overrides))


def redirect_query(response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.content[:500])
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def consent(client, url: str, *, allow: bool = True, approved: list[str] | None = None):
    """GET the consent page, then POST its form (as the person pressing Allow or Deny), with the
    scopes as served (every one ticked) or, given `approved`, only those ticked."""
    page = client.get(url)
    assert page.status_code == 200, (page.status_code, page.content[:500])
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    if approved is not None:
        data["approved_scope"] = approved
    if allow:
        data["allow"] = "Authorize"
    return client.post(url, data)


def approve(client, app: Application, challenge: str, **overrides) -> dict[str, str]:
    return redirect_query(consent(client, authorize_url(app, challenge, **overrides)))


def exchange(client, app: Application, code: str, verifier: str, **overrides):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id, "code_verifier": verifier, "resource": settings.OAUTH_RESOURCE}
    data.update(overrides)
    return client.post("/oauth/token", {k: v for k, v in data.items() if v is not None})


def refresh(client, app: Application, refresh_token: str, **overrides):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id}
    data.update(overrides)
    return client.post("/oauth/token", {k: v for k, v in data.items() if v is not None})


def tokens_for(client, app: Application) -> dict:
    verifier, challenge = pkce_pair()
    code = approve(client, app, challenge)["code"]
    response = exchange(client, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def cimd_documents(settings, monkeypatch):
    """A local CIMD document server, and the gateway's settings pointed at it."""
    server = DocumentServer()
    monkeypatch.setenv(PORT_VARIABLE, str(server.port))
    settings.OAUTH_CIMD_METADATA_FETCHER = CIMD_FETCHER
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "CIMD_FETCH_TIMEOUT_SECONDS": 1}
    yield server
    server.close()
