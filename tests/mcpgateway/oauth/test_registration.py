"""Dynamic Client Registration (RFC 7591): open, rate limited per address; unused clients expire."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import Application

from mcpgateway.oauth.services import oauth_clients_expire_unused
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, tokens_for

pytestmark = pytest.mark.django_db


def register(client, **extra):
    body = {"redirect_uris": [REDIRECT_URI], "client_name": "Some assistant", "token_endpoint_auth_method": "none", **extra}
    return client.post("/oauth/register", body, content_type="application/json")


def test_anyone_may_register_a_client(client):
    response = register(client)
    assert response.status_code == 201, response.content
    application = Application.objects.get(client_id=response.json()["client_id"])
    assert application.registration_source == Application.RegistrationSource.DCR
    assert application.client_type == Application.CLIENT_PUBLIC


def test_registration_is_rate_limited_per_address(client, settings):
    cache.clear()
    settings.OAUTH_DCR_RATE_LIMIT_PER_HOUR = 2
    assert register(client).status_code == 201
    assert register(client).status_code == 201
    refused = register(client)
    assert refused.status_code == 429 and refused["Retry-After"]
    assert Application.objects.count() == 2


def test_unused_registered_clients_expire_and_authorized_ones_stay(client, signed_in, db):
    cache.clear()
    unused = Application.objects.get(client_id=register(client).json()["client_id"])
    used = Application.objects.get(client_id=register(client, client_name="Used").json()["client_id"])
    tokens_for(signed_in, used)
    admin_made = Application.objects.create(name="Pre-registered", client_type=Application.CLIENT_PUBLIC,
                                            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE, redirect_uris=REDIRECT_URI)
    Application.objects.update(created=timezone.now() - timedelta(days=2))

    assert oauth_clients_expire_unused(older_than=timedelta(hours=24)) == 1
    assert not Application.objects.filter(pk=unused.pk).exists()
    assert Application.objects.filter(pk__in=[used.pk, admin_made.pk]).count() == 2


# --- only the grants the metadata advertises (RFC 8414 §2, RFC 7591 §3.2.2) ----------------------


@pytest.mark.parametrize("grant_types", [
    ["client_credentials"], ["password"], ["implicit"], ["urn:ietf:params:oauth:grant-type:device_code"],
    ["authorization_code", "refresh_token", "client_credentials"],
])
def test_registering_a_grant_type_the_gateway_does_not_advertise_is_invalid_client_metadata(client, grant_types):
    cache.clear()
    response = register(client, grant_types=grant_types, token_endpoint_auth_method="client_secret_basic")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_client_metadata"
    assert "grant_types" in response.json()["error_description"]
    assert not Application.objects.exists()


def test_registering_an_implicit_response_type_is_invalid_client_metadata(client):
    cache.clear()
    response = register(client, response_types=["token"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata"
    assert not Application.objects.exists()


def test_a_registered_client_cannot_switch_to_client_credentials(client):
    cache.clear()
    registered = register(client).json()
    body = {"redirect_uris": [REDIRECT_URI], "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"}
    response = client.put(urlsplit(registered["registration_client_uri"]).path, body, content_type="application/json",
                          headers={"Authorization": f"Bearer {registered['registration_access_token']}"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata"
    application = Application.objects.get(client_id=registered["client_id"])
    assert application.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE


@pytest.mark.parametrize("grant_type", [Application.GRANT_CLIENT_CREDENTIALS, Application.GRANT_PASSWORD])
def test_a_client_registered_before_with_another_grant_gets_no_token(client, person, grant_type):
    """Clients that open registration accepted before it refused these grants are refused at
    /oauth/token: only authorization_code and refresh_token are served (RFC 6749 §5.2)."""
    from oauth2_provider.models import AccessToken

    Application.objects.create(
        name="Registered earlier", client_id="earlier", client_secret="earlier-secret", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant_type, registration_source=Application.RegistrationSource.DCR,
    )
    data = {"grant_type": grant_type.replace("-", "_"), "scope": "spotify:read spotify:playback"}
    if grant_type == Application.GRANT_PASSWORD:
        data.update(username=person.get_username(), password="a long and unusual password")
    response = client.post("/oauth/token", data, headers={"Authorization": basic_auth("earlier", "earlier-secret")})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


def test_the_device_code_grant_is_unsupported_not_an_error(client):
    response = client.post("/oauth/token", {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": "x"})
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def basic_auth(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
