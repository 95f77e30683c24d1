"""Bad input (issue section 3): each rejected with the right OAuth error, nothing issued."""

import asyncio
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from mcpgateway.core.revocation import bump_revocation_epoch
from mcpgateway.mcp.auth import authenticate_bearer
from mcpgateway.oauth.models import OAuthAuthorization
from tests.conftest import public_client
from tests.mcpgateway.oauth.conftest import (
    REDIRECT_URI,
    approve,
    authorize_query,
    authorize_url,
    exchange,
    make_client,
    pkce_pair,
    redirect_query,
    refresh,
    tokens_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


def principal_of(token):
    bump_revocation_epoch()  # verify afresh, not from this process's cache
    return asyncio.run(authenticate_bearer(token))


def nothing_issued():
    return not AccessToken.objects.exists() and not RefreshToken.objects.exists()


# --- the authorization request ------------------------------------------------------------------


def test_unregistered_redirect_uri_is_an_error_page_not_a_redirect(signed_in, oauth_client):
    _v, challenge = pkce_pair()
    response = signed_in.get(authorize_url(oauth_client, challenge, redirect_uri="https://attacker.example/cb"))
    assert response.status_code == 400
    assert b"invalid_request" in response.content or b"Mismatching redirect URI" in response.content
    assert not Grant.objects.exists()


def test_missing_pkce_is_invalid_request(signed_in, oauth_client):
    response = signed_in.get(authorize_url(oauth_client, "x", code_challenge=None, code_challenge_method=None))
    answer = redirect_query(response)
    assert answer["error"] == "invalid_request"
    assert answer["state"] == "s-123"
    assert not Grant.objects.exists()


def test_plain_pkce_is_invalid_request(signed_in, oauth_client):
    verifier, _challenge = pkce_pair()
    answer = redirect_query(signed_in.get(authorize_url(oauth_client, verifier, code_challenge_method="plain")))
    assert answer["error"] == "invalid_request"
    assert not Grant.objects.exists()


def test_missing_state_is_invalid_request(signed_in, oauth_client):
    _v, challenge = pkce_pair()
    answer = redirect_query(signed_in.get(authorize_url(oauth_client, challenge, state=None)))
    assert answer["error"] == "invalid_request"
    assert not Grant.objects.exists()


@pytest.mark.parametrize("resource", [None, "https://other.example/mcp", "RESOURCE/other"])
def test_a_missing_or_foreign_resource_is_invalid_target(signed_in, oauth_client, resource):
    if resource == "RESOURCE/other":
        resource = settings.OAUTH_RESOURCE + "/other"
    _v, challenge = pkce_pair()
    answer = redirect_query(signed_in.get(authorize_url(oauth_client, challenge, resource=resource)))
    assert answer["error"] == "invalid_target"
    assert not Grant.objects.exists()


def test_a_tampered_resource_in_the_consent_form_is_invalid_target(signed_in, oauth_client):
    _v, challenge = pkce_pair()
    url = authorize_url(oauth_client, challenge)
    page = signed_in.get(url)
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(allow="Authorize", resource="https://other.example/mcp")
    answer = redirect_query(signed_in.post(url, data))
    assert answer["error"] == "invalid_target"
    assert answer["iss"] == settings.OAUTH_ISSUER  # RFC 9207 §2, after the consent form too
    assert not Grant.objects.exists()


def test_consent_post_without_csrf_token_is_refused(person, oauth_client):
    from tests.mcpgateway.oauth.conftest import connect_spotify

    connect_spotify(person)
    browser = public_client(enforce_csrf_checks=True)
    browser.force_login(person)
    _v, challenge = pkce_pair()
    url = authorize_url(oauth_client, challenge)
    page = browser.get(url)
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data["allow"] = "Authorize"

    response = browser.post(url, data)
    assert response.status_code == 403
    assert not Grant.objects.exists() and not OAuthAuthorization.objects.exists()


# --- the token request --------------------------------------------------------------------------


def test_a_changed_redirect_uri_at_the_token_endpoint_is_invalid_grant(signed_in, oauth_client):
    verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge)["code"]
    response = exchange(signed_in, oauth_client, code, verifier, redirect_uri="http://127.0.0.1:43210/other")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"  # RFC 6749 §5.2
    assert nothing_issued()


def test_a_wrong_verifier_is_invalid_grant(signed_in, oauth_client):
    _verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge)["code"]
    response = exchange(signed_in, oauth_client, code, pkce_pair()[0])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert nothing_issued()


def test_a_missing_verifier_is_refused(signed_in, oauth_client):
    _verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge)["code"]
    response = exchange(signed_in, oauth_client, code, None)
    assert response.status_code == 400 and response.json()["error"] in ("invalid_request", "invalid_grant")
    assert nothing_issued()


def test_a_reused_code_is_refused_and_the_tokens_it_gave_are_revoked(signed_in, oauth_client):
    verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge)["code"]
    first = exchange(signed_in, oauth_client, code, verifier).json()
    assert principal_of(first["access_token"]) is not None

    second = exchange(signed_in, oauth_client, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert principal_of(first["access_token"]) is None
    assert refresh(signed_in, oauth_client, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_code_of_another_client_is_invalid_grant(signed_in, oauth_client):
    other = make_client(name="Other")
    verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge)["code"]
    response = exchange(signed_in, other, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert nothing_issued()


def test_an_expired_code_is_invalid_grant(signed_in, oauth_client):
    verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge)["code"]
    Grant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = exchange(signed_in, oauth_client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert nothing_issued()


@pytest.mark.parametrize("resource", ["https://other.example/mcp", "RESOURCE/x"])
def test_a_foreign_resource_at_the_token_endpoint_is_invalid_target(signed_in, oauth_client, resource):
    resource = resource.replace("RESOURCE", settings.OAUTH_RESOURCE)
    verifier, challenge = pkce_pair()
    code = approve(signed_in, oauth_client, challenge)["code"]
    response = exchange(signed_in, oauth_client, code, verifier, resource=resource)
    assert response.status_code == 400 and response.json()["error"] == "invalid_target"
    assert nothing_issued()


def test_a_foreign_resource_on_refresh_is_invalid_target(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    response = refresh(signed_in, oauth_client, tokens["refresh_token"], resource="https://other.example/mcp")
    assert response.status_code == 400 and response.json()["error"] == "invalid_target"


# --- tokens at /mcp (the one verification path) ---------------------------------------------------


def test_a_token_for_another_audience_is_refused_at_mcp(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    AccessToken.objects.update(resource=["https://other.example/mcp"])
    assert principal_of(tokens["access_token"]) is None


def test_a_token_without_audience_is_refused_at_mcp(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    AccessToken.objects.update(resource=[])
    assert principal_of(tokens["access_token"]) is None


def test_an_expired_token_is_refused_at_mcp(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert principal_of(tokens["access_token"]) is None


def test_a_revoked_token_is_refused_at_mcp(signed_in, oauth_client):
    tokens = tokens_for(signed_in, oauth_client)
    assert principal_of(tokens["access_token"]) is not None
    response = signed_in.post("/oauth/revoke", {"token": tokens["access_token"], "client_id": oauth_client.client_id})
    assert response.status_code == 200
    assert asyncio.run(authenticate_bearer(tokens["access_token"])) is None  # the epoch moved: no cache clearing needed


def test_an_unknown_token_is_refused_at_mcp(db):
    assert principal_of("not-a-token-we-issued") is None


def test_the_registration_access_token_is_not_an_mcp_token(client):
    registered = client.post("/oauth/register", {"redirect_uris": [REDIRECT_URI], "client_name": "x", "token_endpoint_auth_method": "none"}, content_type="application/json")
    assert registered.status_code == 201, registered.content
    assert principal_of(registered.json()["registration_access_token"]) is None


# --- refresh replayed after the grace window ----------------------------------------------------


def test_a_refresh_token_replayed_after_the_grace_window_revokes_the_family(signed_in, oauth_client, settings):
    settings.OAUTH_REFRESH_GRACE_SECONDS = 30
    tokens = tokens_for(signed_in, oauth_client)
    rotated = refresh(signed_in, oauth_client, tokens["refresh_token"]).json()
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(seconds=31))

    replay = refresh(signed_in, oauth_client, tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The whole family is gone, the winner's new tokens included.
    assert principal_of(rotated["access_token"]) is None
    assert refresh(signed_in, oauth_client, rotated["refresh_token"]).json()["error"] == "invalid_grant"


# --- RFC 9207 §2: `iss` in every authorization response, error responses included --------------


@pytest.mark.parametrize("overrides, error", [
    ({"scope": "spotify:everything"}, "invalid_scope"),
    ({"scope": "spotify:read api"}, "invalid_scope"),  # the REST API's scope is never an OAuth client's
    ({"state": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"resource": "https://other.example/mcp"}, "invalid_target"),
    ({"resource": "not a uri"}, "invalid_target"),
    ({"response_type": "token"}, "unauthorized_client"),
])
def test_every_error_redirect_of_the_authorization_endpoint_names_the_issuer(signed_in, oauth_client, overrides, error):
    _v, challenge = pkce_pair()
    answer = redirect_query(signed_in.get(authorize_url(oauth_client, challenge, **overrides)))
    assert answer["error"] == error
    assert answer["iss"] == settings.OAUTH_ISSUER


def test_access_denied_names_the_issuer(signed_in, oauth_client):
    from tests.mcpgateway.oauth.conftest import consent

    _v, challenge = pkce_pair()
    answer = redirect_query(consent(signed_in, authorize_url(oauth_client, challenge), allow=False))
    assert answer["error"] == "access_denied" and answer["iss"] == settings.OAUTH_ISSUER


def test_login_required_for_prompt_none_names_the_issuer(client, oauth_client):
    _v, challenge = pkce_pair()
    answer = redirect_query(client.get(authorize_url(oauth_client, challenge, prompt="none")))
    assert answer["error"] == "login_required" and answer["iss"] == settings.OAUTH_ISSUER


def test_a_remembered_consent_redirect_names_the_issuer_once(signed_in, oauth_client):
    tokens_for(signed_in, oauth_client)
    _v, challenge = pkce_pair()
    response = signed_in.get(authorize_url(oauth_client, challenge))
    assert "code" in redirect_query(response)
    assert parse_qs(urlsplit(response["Location"]).query)["iss"] == [settings.OAUTH_ISSUER]


# --- PKCE values of the shape RFC 7636 requires ----------------------------------------------------


def s256(verifier: str) -> str:
    import base64
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize("verifier", ["abc", "a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "/", "a" * 42 + "=", "a" * 42 + " "])
def test_a_verifier_that_is_not_43_to_128_unreserved_characters_is_refused(signed_in, oauth_client, verifier):
    """RFC 7636 §4.1: 43-128 of [A-Z a-z 0-9 - . _ ~]; even one whose S256 matches the challenge."""
    code = approve(signed_in, oauth_client, s256(verifier))["code"]
    response = exchange(signed_in, oauth_client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert nothing_issued()


@pytest.mark.parametrize("verifier", ["a" * 43, "A-z0._~" * 18 + "ab"])
def test_verifiers_of_the_allowed_shape_work(signed_in, oauth_client, verifier):
    assert len(verifier) in (43, 128)
    code = approve(signed_in, oauth_client, s256(verifier))["code"]
    assert exchange(signed_in, oauth_client, code, verifier).status_code == 200


@pytest.mark.parametrize("challenge", ["a" * 42, "a" * 44, s256("a" * 43) + "=", "+" + s256("a" * 43)[1:], "a" * 42 + "."])
def test_an_s256_challenge_that_is_not_43_base64url_characters_is_invalid_request(signed_in, oauth_client, challenge):
    """RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding is always 43 characters."""
    answer = redirect_query(signed_in.get(authorize_url(oauth_client, challenge)))
    assert answer["error"] == "invalid_request" and "code_challenge" in answer["error_description"]
    assert not Grant.objects.exists()


# --- text no database can store, over real HTTP ---------------------------------------------------
# PostgreSQL refuses NUL (U+0000) in text columns; neither database stores a lone surrogate. Such a
# parameter is invalid_request before django-oauth-toolkit looks anything up with it.

NUL = "\x00"


@pytest.fixture(scope="module")
def gateway(django_db_setup, django_db_blocker):
    """One worker for this module's requests (the worker fails the module if it logged a traceback)."""
    from tests.support.processes import GatewayProcesses

    processes = GatewayProcesses()
    yield processes.start()
    processes.stop()


def signed_in_cookies(user) -> dict[str, str]:
    """The session cookie of `user` signed in (the session row is in the database the worker shares)."""
    browser = public_client()
    browser.force_login(user)
    return {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}


def assert_invalid_request(response):
    assert response.status_code == 400, response.text[:500]
    assert response.json()["error"] == "invalid_request", response.text


# The worker's resource is its own /mcp (its PUBLIC_BASE_URL is its own address): filled in per test.
TOKEN_REQUESTS = {
    "authorization_code": {"grant_type": "authorization_code", "code": "some-code", "redirect_uri": REDIRECT_URI,
                           "code_verifier": "v" * 43, "resource": None, "client_secret": "s"},
    "refresh_token": {"grant_type": "refresh_token", "refresh_token": "some-refresh-token", "scope": "spotify:read",
                      "resource": None, "client_secret": "s"},
}


@pytest.mark.parametrize(
    "grant, field",
    [(grant, field) for grant, fields in TOKEN_REQUESTS.items() for field in ["client_id", *fields]],
)
def test_a_nul_in_any_token_request_field_is_invalid_request(gateway, oauth_client, grant, field):
    data = {**TOKEN_REQUESTS[grant], "client_id": oauth_client.client_id, "resource": f"{gateway}/mcp"}
    data[field] += NUL
    assert_invalid_request(httpx.post(f"{gateway}/oauth/token", data=data))
    assert nothing_issued()


@pytest.mark.parametrize("where", ["client_id", "client_secret"])
def test_a_nul_in_http_basic_client_credentials_is_invalid_request(gateway, oauth_client, where):
    credentials = {"client_id": oauth_client.client_id, "client_secret": "secret"}
    credentials[where] += NUL
    data = {"grant_type": "refresh_token", "refresh_token": "some-refresh-token"}
    response = httpx.post(f"{gateway}/oauth/token", data=data, auth=(credentials["client_id"], credentials["client_secret"]))
    assert_invalid_request(response)


@pytest.mark.parametrize("field", ["token", "client_id", "token_type_hint"])
def test_a_nul_in_a_revocation_request_is_invalid_request(gateway, signed_in, oauth_client, field):
    tokens = tokens_for(signed_in, oauth_client)
    data = {"token": tokens["access_token"], "client_id": oauth_client.client_id, "token_type_hint": "access_token"}
    data[field] += NUL
    assert_invalid_request(httpx.post(f"{gateway}/oauth/revoke", data=data))
    assert principal_of(tokens["access_token"]) is not None  # nothing was revoked


@pytest.mark.parametrize("field", ["client_id", "redirect_uri", "state", "code_challenge", "scope", "resource"])
def test_a_nul_in_an_authorization_request_is_an_error_page(gateway, signed_in, person, oauth_client, field):
    _v, challenge = pkce_pair()
    query = authorize_query(oauth_client, challenge, resource=f"{gateway}/mcp")
    query[field] += NUL
    response = httpx.get(f"{gateway}/oauth/authorize", params=query, cookies=signed_in_cookies(person))
    assert response.status_code == 400, response.text[:500]
    assert "invalid_request" in response.text
    assert not Grant.objects.exists()


@pytest.mark.parametrize("where", ["query", "form"])
def test_invalid_utf8_in_a_parameter_is_invalid_request(gateway, oauth_client, where):
    parameters = b"grant_type=refresh_token&refresh_token=%FF%FE&client_id=" + oauth_client.client_id.encode()
    if where == "query":
        response = httpx.post(f"{gateway}/oauth/token?{parameters.decode()}", data={"x": "1"})
    else:
        response = httpx.post(f"{gateway}/oauth/token", content=parameters,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_invalid_request(response)


# --- client registration: metadata no database can store, JSON nested too deep ----------------------


@pytest.mark.parametrize(
    "metadata",
    [
        {"client_name": "Robin" + NUL, "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"},
        {"client_name": "Robin", "redirect_uris": [REDIRECT_URI + NUL], "token_endpoint_auth_method": "none"},
        {"client_name": "Robin\ud800", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"},
        {"client_name": "Robin", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none", "x" + NUL: 1},
    ],
    ids=["nul-in-name", "nul-in-redirect-uri", "lone-surrogate", "nul-in-a-key"],
)
def test_registration_metadata_no_database_can_store_is_invalid_client_metadata(gateway, db, metadata):
    response = httpx.post(f"{gateway}/oauth/register", content=json.dumps(metadata),
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:500]
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Application.objects.exists()


def test_registration_json_nested_50000_deep_is_invalid_client_metadata(gateway, db):
    body = '{"client_name": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = httpx.post(f"{gateway}/oauth/register", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:500]
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Application.objects.exists()
