"""Personal access tokens: created in the dashboard, shown once, stored as a keyed hash, verified
by the same path /mcp uses, revoked at once."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from accounts.models import PersonalAccessToken
from accounts.services import token_digest
from mcpgateway.core.credentials import credential_revoke
from mcpgateway.core.revocation import bump_revocation_epoch, current_revocation_epoch_sync
from mcpgateway.core.scopes import ALL_SCOPES
from mcpgateway.mcp.auth import authenticate_bearer
from tests.conftest import make_personal_access_token

pytestmark = pytest.mark.django_db(transaction=True)
verify = async_to_sync(authenticate_bearer)


@pytest.fixture(autouse=True)
def fresh_cache():
    # Tokens verified by earlier tests (their rows are gone) must not be served from the cache.
    bump_revocation_epoch()


@pytest.fixture
def signed_in(client, person):
    client.force_login(person)
    return client


def test_dashboard_creates_a_token_shown_once_and_stored_as_a_hash(signed_in, person):
    page = signed_in.post("/tokens/create", {"name": "laptop", "scopes": ["spotify:read", "spotify:playback"], "expires_in": "30"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    plaintext = re.search(r'data-testid="new-token">([^<]+)<', page.content.decode()).group(1)
    pat = PersonalAccessToken.objects.get(user=person)
    assert pat.token_digest == token_digest(plaintext) and plaintext not in pat.token_digest
    assert pat.scope_set == {"spotify:read", "spotify:playback"}
    assert timedelta(days=29) < pat.expires_at - timezone.now() <= timedelta(days=30)
    dashboard = signed_in.get("/").content.decode()
    assert "laptop" in dashboard and plaintext not in dashboard and pat.token_prefix in dashboard


@pytest.mark.parametrize(
    "form, problem",
    [
        ({"name": "", "scopes": ["spotify:read"], "expires_in": "30"}, "Give the token a name"),
        ({"name": "x", "scopes": [], "expires_in": "30"}, "at least one scope"),
        ({"name": "x", "scopes": ["spotify:everything"], "expires_in": "30"}, "Unknown scopes"),
        ({"name": "x", "scopes": ["spotify:read"], "expires_in": "7"}, "expiry"),
        ({"name": "x" * 101, "scopes": ["spotify:read"], "expires_in": "30"}, "at most 100"),
        # PostgreSQL refuses NUL in text columns: a message on the page, not a 500.
        ({"name": "lap\x00top", "scopes": ["spotify:read"], "expires_in": "30"}, "control characters"),
    ],
)
def test_bad_token_requests_explain_and_create_nothing(signed_in, form, problem):
    response = signed_in.post("/tokens/create", form, follow=True)
    assert problem in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_a_valid_token_authenticates_its_owner_with_its_scopes(person):
    plaintext = make_personal_access_token(person, scopes={"spotify:read"})
    principal = verify(plaintext)
    assert principal.user_id == person.pk and principal.username == "pat"
    assert principal.scopes == {"spotify:read"} and principal.kind == "pat" and principal.audience is None


@pytest.mark.parametrize("token", ["", "smgp_unknown", "x" * 600])
def test_unknown_tokens_are_refused(person, token):
    make_personal_access_token(person)
    assert verify(token) is None


def test_revocation_bites_at_the_next_request_even_when_cached(person):
    plaintext = make_personal_access_token(person)
    assert verify(plaintext) is not None  # now cached in this process
    epoch = current_revocation_epoch_sync()
    credential_revoke(credential_id=PersonalAccessToken.objects.get(user=person).credential_id)
    assert current_revocation_epoch_sync() != epoch
    assert verify(plaintext) is None


def test_revoking_from_the_dashboard(signed_in, person):
    plaintext = make_personal_access_token(person)
    pat = PersonalAccessToken.objects.get(user=person)
    signed_in.post(f"/tokens/{pat.pk}/revoke")
    assert verify(plaintext) is None
    pat.refresh_from_db()
    assert pat.revoked_at is not None


def test_someone_elses_token_cannot_be_revoked(signed_in, django_user_model):
    other = django_user_model.objects.create_user(username="other")
    plaintext = make_personal_access_token(other)
    pat = PersonalAccessToken.objects.get(user=other)
    assert signed_in.post(f"/tokens/{pat.pk}/revoke").status_code == 404
    assert verify(plaintext) is not None


def test_an_expired_token_is_refused(person):
    plaintext = make_personal_access_token(person)
    PersonalAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert verify(plaintext) is None


def test_a_deactivated_persons_token_is_refused_even_when_cached(person):
    plaintext = make_personal_access_token(person)
    assert verify(plaintext) is not None
    person.is_active = False
    person.save()
    assert verify(plaintext) is None


def test_last_used_is_recorded(person):
    plaintext = make_personal_access_token(person)
    verify(plaintext)
    assert PersonalAccessToken.objects.get(user=person).last_used_at is not None


def test_all_scopes_by_default(person):
    assert verify(make_personal_access_token(person)).scopes == ALL_SCOPES
