"""The curated OAuth admin, over HTTP as a signed-in superuser: clients with the people who authorized
them, read-only token views without any token, checksum, digest or client secret on any page,
registration tokens kept apart, no pages for authorization codes and ID tokens, and statuses that
say revoked."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, get_application_model
from oauth2_provider.settings import oauth2_settings

from accounts.models import PersonalAccessToken
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import make_personal_access_token, public_client
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, approve, exchange, pkce_pair, refresh
from tests.mcpgateway.oauth.test_admin_clients import form_fields
from tests.support.credentials import admin_action

pytestmark = pytest.mark.django_db
Application = get_application_model()


@pytest.fixture
def admin(django_user_model):
    """A superuser's browser, beside the person's (`signed_in`)."""
    browser = public_client()
    browser.force_login(django_user_model.objects.create_superuser(username="root", password="x"))
    return browser


@pytest.fixture
def issued(signed_in, person, settings):
    """A client registered the way MCP clients do (DCR, confidential), approved by the person, its
    tokens refreshed once (so a rotated refresh token exists too), and a personal access token."""
    settings.OAUTH_DCR_RATE_LIMIT_PER_HOUR = 10_000
    registered = public_client().post("/oauth/register", {
        "client_name": "Cursor", "redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"], "token_endpoint_auth_method": "client_secret_post",
    }, content_type="application/json").json()
    app = Application.objects.get(client_id=registered["client_id"])
    first = _tokens(signed_in, app, registered["client_secret"])
    rotated = refresh(signed_in, app, first["refresh_token"], client_secret=registered["client_secret"]).json()
    pat = make_personal_access_token(person, name="laptop script")
    plaintexts = [first["access_token"], first["refresh_token"], rotated["access_token"], rotated["refresh_token"],
                  registered["client_secret"], registered["registration_access_token"], pat]
    stored = [
        *AccessToken.objects.values_list("token_checksum", flat=True),
        *RefreshToken.objects.values_list("token_checksum", flat=True),
        *PersonalAccessToken.objects.values_list("token_digest", flat=True),
        app.client_secret,
        *(secret.ciphertext for pair in SpotifyGrant.objects.values_list("access_token", "refresh_token") for secret in pair),
    ]
    return {"app": app, "secrets": [s for s in plaintexts + stored if s], "registered": registered}


def _tokens(client, app, client_secret: str) -> dict:
    verifier, challenge = pkce_pair()
    code = approve(client, app, challenge)["code"]
    response = exchange(client, app, code, verifier, client_secret=client_secret)
    assert response.status_code == 200, response.content
    return response.json()


def pages_of_every_admin_row(admin) -> list[str]:
    urls = ["/admin/"]
    for model in (Application, AccessToken, RefreshToken, OAuthAuthorization, McpSession, SpotifyGrant, PersonalAccessToken,
                  get_user_model()):
        opts = model._meta
        changelist = f"/admin/{opts.app_label}/{opts.model_name}/"
        urls.append(changelist)
        rows = model._default_manager.all()
        if model is AccessToken:  # registration tokens have no page (test_registration_tokens_are_not_listed...)
            rows = rows.exclude(scope=oauth2_settings.DCR_REGISTRATION_SCOPE)
        urls += [f"{changelist}{pk}/change/" for pk in rows.values_list("pk", flat=True)]
    return urls


def test_no_admin_page_shows_a_token_a_checksum_a_digest_or_a_client_secret(admin, issued):
    assert len(issued["secrets"]) >= 12
    for url in pages_of_every_admin_row(admin):
        response = admin.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        leaked = [secret[:8] for secret in issued["secrets"] if secret in page]
        assert leaked == [], f"{url} shows secrets starting {leaked}"


def test_token_pages_are_read_only(admin, issued):
    token = AccessToken.objects.exclude(scope=oauth2_settings.DCR_REGISTRATION_SCOPE).first()
    refresh_token = RefreshToken.objects.first()
    for kind, pk in (("accesstoken", token.pk), ("refreshtoken", refresh_token.pk)):
        assert admin.get(f"/admin/oauth2_provider/{kind}/add/").status_code == 403
        page = admin.get(f"/admin/oauth2_provider/{kind}/{pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert admin.post(f"/admin/oauth2_provider/{kind}/{pk}/change/", {"scope": "spotify:read"}).status_code == 403
        assert admin.get(f"/admin/oauth2_provider/{kind}/{pk}/delete/").status_code == 403
    assert AccessToken.objects.get(pk=token.pk).scope == token.scope


def test_raw_admins_of_authorization_codes_and_id_tokens_are_gone(admin):
    for kind in ("grant", "idtoken"):
        assert admin.get(f"/admin/oauth2_provider/{kind}/").status_code == 404
    index = admin.get("/admin/").content.decode()
    assert "/admin/oauth2_provider/grant/" not in index and "/admin/oauth2_provider/idtoken/" not in index


def test_registration_tokens_are_not_listed_with_the_access_tokens(admin, issued):
    registration = AccessToken.objects.get(scope=oauth2_settings.DCR_REGISTRATION_SCOPE)
    person_tokens = AccessToken.objects.exclude(pk=registration.pk)
    listed = admin.get("/admin/oauth2_provider/accesstoken/").content.decode()
    rows = set(re.findall(r'/admin/oauth2_provider/accesstoken/(\d+)/change/', listed))
    assert rows == {str(pk) for pk in person_tokens.values_list("pk", flat=True)} and rows
    assert admin.get(f"/admin/oauth2_provider/accesstoken/{registration.pk}/change/").status_code == 302  # "does not exist"


def test_revoked_things_look_revoked_and_filter_by_status_and_person(admin, issued, person, django_user_model):
    authorization = OAuthAuthorization.objects.get(user=person)
    assert 'data-status="active"' in admin.get("/admin/mcpgateway/oauthauthorization/").content.decode()
    admin_action(admin, "/admin/mcpgateway/oauthauthorization/", "revoke", [authorization.pk])

    for changelist in ("/admin/mcpgateway/oauthauthorization/", "/admin/oauth2_provider/refreshtoken/",
                       "/admin/mcpgateway/mcpsession/"):
        page = admin.get(changelist, {"status": "revoked"} if "session" not in changelist else {"state": "revoked"}).content.decode()
        assert 'data-status="revoked"' in page, changelist
        assert 'data-status="active"' not in page, changelist
        assert 'data-status="revoked"' not in admin.get(changelist, {"status": "active"} if "session" not in changelist
                                                         else {"state": "active"}).content.decode()
    assert not AccessToken.objects.filter(user=person).exists()  # revoking deletes access tokens: none to show

    token = PersonalAccessToken.objects.get(user=person)
    admin_action(admin, "/admin/accounts/personalaccesstoken/", "revoke", [token.pk])
    assert 'data-status="revoked"' in admin.get("/admin/accounts/personalaccesstoken/").content.decode()
    other = django_user_model.objects.create_user(username="sam", password="x")
    make_personal_access_token(other, name="sam's script")
    mine = admin.get("/admin/accounts/personalaccesstoken/", {"user__id__exact": person.pk}).content.decode()
    theirs = admin.get("/admin/accounts/personalaccesstoken/", {"user__id__exact": other.pk}).content.decode()
    assert "laptop script" in mine and "sam&#x27;s script" not in mine
    assert "sam&#x27;s script" in theirs and "laptop script" not in theirs


def test_a_clients_page_lists_the_people_who_authorized_it_with_links(admin, issued, person):
    app = issued["app"]
    listed = admin.get("/admin/oauth2_provider/application/").content.decode()
    row = re.search(r"<tr>.*?Cursor.*?</tr>", listed, re.S).group(0)
    assert re.search(r'class="field-people">1<', row) and re.search(r'class="field-last_used[^"]*">never<', row)
    # A 2025-11-25 session of the authorization's credential is its use too.
    authorization = OAuthAuthorization.objects.get(user=person)
    McpSession.objects.create(user=person, credential_id=authorization.credential_id, client_name="Cursor",
                              protocol_version="2025-11-25", last_seen_at=timezone.now())
    for changelist in ("/admin/oauth2_provider/application/", "/admin/mcpgateway/oauthauthorization/"):
        row = re.search(r"<tr>.*?Cursor.*?</tr>", admin.get(changelist).content.decode(), re.S).group(0)
        assert re.search(r'class="field-last_(used|seen)[^"]*">[A-Z][a-z]{2}', row), changelist
    page = admin.get(f"/admin/oauth2_provider/application/{app.pk}/change/").content.decode()
    assert f'href="/admin/accounts/user/{person.pk}/change/"' in page and 'data-status="active"' in page


def test_saving_a_client_keeps_its_secret_unless_a_new_one_is_typed(admin, issued):
    app = issued["app"]
    stored = app.client_secret
    page = admin.get(f"/admin/oauth2_provider/application/{app.pk}/change/").content.decode()
    fields = form_fields(page)
    assert fields["client_secret"] == ""
    fields.update(name="Cursor (team)", _save="Save")
    saved = admin.post(f"/admin/oauth2_provider/application/{app.pk}/change/", fields)
    assert saved.status_code == 302, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', saved.content.decode(), re.S)
    app.refresh_from_db()
    assert app.name == "Cursor (team)" and app.client_secret == stored


def test_a_persons_page_shows_their_connections_read_only_with_links(admin, issued, person):
    session = McpSession.objects.create(user=person, credential_id="pat:1", client_name="Claude Desktop", protocol_version="2025-11-25")
    page = admin.get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    grant = SpotifyGrant.objects.get(user=person)
    authorization = OAuthAuthorization.objects.get(user=person)
    token = PersonalAccessToken.objects.get(user=person)
    for link in (f"/admin/mcpgateway/spotifygrant/{grant.pk}/change/", f"/admin/mcpgateway/oauthauthorization/{authorization.pk}/change/",
                 f"/admin/mcpgateway/mcpsession/{session.pk}/change/", f"/admin/accounts/personalaccesstoken/{token.pk}/change/",
                 f"/admin/mcpgateway/mcpsession/?user__id__exact={person.pk}"):
        assert f'href="{link}"' in page, link
    assert "Recent activity" in page and "laptop script" in page and "Claude Desktop" in page
    assert 'name="oauth_clients"' not in page  # shown, never a form field
