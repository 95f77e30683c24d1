"""Revocation acts on the credential, not on one self-named client: after a disconnect on the
dashboard (of a personal access token's session or connection, of an OAuth client's session or
connection row) or a person's deactivation, every request with that credential is refused on every
worker, in both eras and under any client name, OAuth refresh fails, and nothing comes back later
(re-approval, re-activation)."""

import re
import uuid

import pytest

from accounts.models import PersonalAccessToken
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from tests.conftest import make_personal_access_token, public_client
from tests.mcpgateway.oauth.conftest import connect_spotify, make_client, tokens_for
from tests.support.credentials import (  # noqa: F401 (admin_browser, two_workers: fixtures)
    admin_action,
    admin_browser,
    admin_delete,
    assert_reapproval_revives_nothing,
    assert_refresh_refused,
    assert_refused_everywhere,
    form_fields,
    two_workers,
    use_everywhere,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(person):
    """The person's own browser session on the dashboard."""
    connect_spotify(person)
    client = public_client()
    client.force_login(person)
    return client


def dashboard(browser) -> str:
    page = browser.get("/")
    assert page.status_code == 200
    return page.content.decode()


# --- personal access tokens --------------------------------------------------------------------


@pytest.mark.parametrize("row", ["session", "connection"])
def test_disconnecting_a_tokens_client_on_the_dashboard_asks_first_then_revokes_the_token(two_workers, browser, person, row):
    token = make_personal_access_token(person, name="laptop")
    pat = PersonalAccessToken.objects.get(user=person)
    session_id, connection_id = use_everywhere(two_workers, token)
    disconnected = session_id if row == "session" else connection_id

    page = dashboard(browser)
    # The token's clients are listed under the token, not as clients of their own to disconnect.
    token_block = re.search(r'<tbody data-testid="token-row".*?</tbody>', page, re.S).group(0)
    assert "laptop" in token_block and "Claude" in token_block and "Claude (2026)" in token_block
    assert f'<form method="post" action="/sessions/{McpSession.objects.get(pk=disconnected).pk}/revoke"' not in page
    link = re.search(r'href="(/sessions/%s/revoke)"' % McpSession.objects.get(pk=disconnected).pk, token_block).group(1)

    confirmation = browser.get(link)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", confirmation.content.decode()))
    assert confirmation.status_code == 200
    assert "Revoking laptop stops:" in text and "Claude" in text and "Claude (2026)" in text
    assert PersonalAccessToken.objects.get(pk=pat.pk).revoked_at is None  # nothing happened yet

    answer = browser.post(link, form_fields(confirmation.content.decode(), form_id="revoke-credential"))

    assert answer.status_code == 302
    assert_refused_everywhere(two_workers, token, session_ids=[session_id])
    assert PersonalAccessToken.objects.get(pk=pat.pk).revoked_at is not None
    assert not McpSession.objects.filter(credential_id=f"pat:{pat.pk}", revoked_at__isnull=True).exists()
    assert 'data-testid="token-row"' not in dashboard(browser)


def test_the_tokens_own_revoke_button_asks_first_naming_its_clients(two_workers, browser, person):
    token = make_personal_access_token(person, name="laptop")
    pat = PersonalAccessToken.objects.get(user=person)
    session_id, _ = use_everywhere(two_workers, token)

    confirmation = browser.get(f"/tokens/{pat.pk}/revoke")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", confirmation.content.decode()))
    assert "Revoking laptop stops: Claude" in text
    browser.post(f"/tokens/{pat.pk}/revoke", form_fields(confirmation.content.decode(), form_id="revoke-credential"))

    assert_refused_everywhere(two_workers, token, session_ids=[session_id])


# --- OAuth clients -------------------------------------------------------------------------------


@pytest.mark.parametrize("row", ["session", "connection"])
def test_disconnecting_an_oauth_clients_session_or_connection_revokes_its_authorization_for_good(two_workers, browser, person, row):
    app = make_client(name="Cursor")
    tokens = tokens_for(browser, app)
    session_id, _ = use_everywhere(two_workers, tokens["access_token"], client_name="Cursor")
    authorization = OAuthAuthorization.objects.get(user=person, application=app)
    page = dashboard(browser)
    # A link to the confirmation page, named for the client it disconnects.
    assert f'href="/sessions/{authorization.session_id}/revoke">Disconnect Cursor…</a>' in page

    disconnected = uuid.UUID(session_id) if row == "session" else authorization.session_id
    assert browser.post(f"/sessions/{disconnected}/revoke").status_code == 302

    assert_refused_everywhere(two_workers, tokens["access_token"], session_ids=[session_id])
    assert_refresh_refused(two_workers, app.client_id, tokens["refresh_token"])
    assert_reapproval_revives_nothing(two_workers, browser, app, tokens, consent_asked=True)


# --- deactivation ---------------------------------------------------------------------------------


def test_deactivating_a_person_revokes_everything_and_reactivating_restores_nothing(two_workers, browser, admin_browser, person):
    pat_token = make_personal_access_token(person, name="laptop")
    app = make_client(name="Cursor")
    oauth = tokens_for(browser, app)
    pat_session, _ = use_everywhere(two_workers, pat_token)
    oauth_session, _ = use_everywhere(two_workers, oauth["access_token"], client_name="Cursor")

    def set_active(active: bool):
        url = f"/admin/accounts/user/{person.pk}/change/"
        fields = form_fields(admin_browser.get(url).content.decode(), form_id="user_form")
        fields.pop("is_active", None)
        if active:
            fields["is_active"] = "on"
        response = admin_browser.post(url, {**fields, "_save": "Save"})
        assert response.status_code == 302, response.content.decode()[:2000]

    set_active(False)
    assert_refused_everywhere(two_workers, pat_token, session_ids=[pat_session])
    assert_refused_everywhere(two_workers, oauth["access_token"], session_ids=[oauth_session])
    assert_refresh_refused(two_workers, app.client_id, oauth["refresh_token"])

    set_active(True)
    assert_refused_everywhere(two_workers, pat_token, session_ids=[pat_session])
    assert_refused_everywhere(two_workers, oauth["access_token"], session_ids=[oauth_session])
    assert_refresh_refused(two_workers, app.client_id, oauth["refresh_token"])


# --- the admin, for personal access tokens ------------------------------------------------------


def revoke_token(admin, pat, session_id, connection_id):
    admin_action(admin, "/admin/accounts/personalaccesstoken/", "revoke", [pat.pk])


def delete_token(admin, pat, session_id, connection_id):
    admin_delete(admin, f"/admin/accounts/personalaccesstoken/{pat.pk}/")


def revoke_its_session(admin, pat, session_id, connection_id):
    admin_action(admin, "/admin/mcpgateway/mcpsession/", "revoke", [session_id])


def delete_its_connection(admin, pat, session_id, connection_id):
    admin_delete(admin, f"/admin/mcpgateway/mcpsession/{connection_id}/")


@pytest.mark.parametrize("admin_path", [revoke_token, delete_token, revoke_its_session, delete_its_connection], ids=lambda path: path.__name__)
def test_each_admin_path_ends_the_personal_access_token_on_every_worker(two_workers, admin_browser, person, admin_path):
    token = make_personal_access_token(person, name="laptop")
    pat = PersonalAccessToken.objects.get(user=person)
    session_id, connection_id = use_everywhere(two_workers, token)

    admin_path(admin_browser, pat, session_id, connection_id)

    assert_refused_everywhere(two_workers, token, session_ids=[session_id])
    # Nothing of the token is left open: its other rows are closed too.
    assert not McpSession.objects.filter(credential_id=f"pat:{pat.pk}", revoked_at__isnull=True).exists()
