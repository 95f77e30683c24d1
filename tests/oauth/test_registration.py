"""Dynamic Client Registration (RFC 7591): open, rate limited per address; unused clients expire."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import Application

from mcpgateway.oauth.services import oauth_clients_expire_unused
from tests.oauth.conftest import REDIRECT_URI, tokens_for

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
