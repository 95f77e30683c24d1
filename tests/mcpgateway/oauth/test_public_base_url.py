"""Every absolute URL the authorization server emits is built from PUBLIC_BASE_URL, never from the
request's Host or X-Forwarded-* headers (a spoofed Host must not reach a client or a document)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.mcpgateway.oauth.conftest import REDIRECT_URI, authorize_url, pkce_pair

pytestmark = pytest.mark.django_db

SPOOFED = {"HTTP_HOST": "localhost:9999", "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "localhost:9998"}


@pytest.fixture(params=["direct", "behind a proxy Django trusts"])
def spoofing(request, settings):
    """The headers a client controls; in the second case Django is told to believe them."""
    if request.param != "direct":
        settings.USE_X_FORWARDED_HOST = True
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert urlsplit(settings.PUBLIC_BASE_URL).netloc not in {"localhost:9999", "localhost:9998"}
    return SPOOFED


def assert_public(url: str) -> None:
    assert url.startswith(settings.PUBLIC_BASE_URL + "/"), url


def test_the_metadata_names_public_urls_only(client, spoofing):
    document = client.get("/.well-known/oauth-authorization-server", **spoofing).json()
    assert document["issuer"] == settings.PUBLIC_BASE_URL
    for key in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "registration_endpoint"):
        assert_public(document[key])


def test_the_registration_client_uri_is_public(client, spoofing):
    cache.clear()
    body = {"redirect_uris": [REDIRECT_URI], "client_name": "Spoofer", "token_endpoint_auth_method": "none"}
    registered = client.post("/oauth/register", body, content_type="application/json", **spoofing)
    assert registered.status_code == 201, registered.content
    uri = registered.json()["registration_client_uri"]
    assert_public(uri)

    auth = {"HTTP_AUTHORIZATION": f"Bearer {registered.json()['registration_access_token']}"}
    read = client.get(urlsplit(uri).path, **auth, **spoofing)
    assert read.status_code == 200 and read.json()["registration_client_uri"] == uri
    updated = client.put(urlsplit(uri).path, {**body, "client_name": "Renamed"}, content_type="application/json", **auth, **spoofing)
    assert updated.status_code == 200 and updated.json()["registration_client_uri"] == uri


def test_the_authorization_response_names_the_public_issuer(signed_in, oauth_client, spoofing):
    _v, challenge = pkce_pair()
    url = authorize_url(oauth_client, challenge, scope="spotify:nothing")
    moved = signed_in.get(url, **spoofing)
    # A browser on another host is first sent to the same page on PUBLIC_BASE_URL's host.
    assert moved.status_code == 302 and moved["Location"] == settings.PUBLIC_BASE_URL + url
    response = signed_in.get(url, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_HOST=urlsplit(settings.PUBLIC_BASE_URL).netloc)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["iss"] == [settings.OAUTH_ISSUER]


def test_the_sign_in_redirect_stays_on_the_gateway(client, oauth_client, spoofing):
    _v, challenge = pkce_pair()
    location = client.get(authorize_url(oauth_client, challenge), **spoofing)["Location"]
    assert location.startswith("/accounts/login/") or location.startswith(settings.PUBLIC_BASE_URL + "/"), location
