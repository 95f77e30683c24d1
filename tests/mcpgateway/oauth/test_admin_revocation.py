"""Every admin path that ends an OAuth client's access, driven over HTTP as a signed-in superuser
presses the buttons (changelist actions, delete confirmations): workers that had the token
verified and cached refuse it at its next request, refresh fails, and a later re-approval does not
bring the old tokens back."""

import httpx
import pytest
from oauth2_provider.models import AccessToken, RefreshToken, get_application_model

from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from tests.conftest import public_client
from tests.mcpgateway.oauth.conftest import REDIRECT_URI
from tests.support.credentials import (  # noqa: F401 (admin_browser, two_workers: fixtures)
    admin_action,
    admin_browser,
    admin_delete,
    approve_again,
    assert_reapproval_revives_nothing,
    assert_refresh_refused,
    assert_refused_everywhere,
    two_workers,
    use_everywhere,
)

pytestmark = [pytest.mark.django_db(transaction=True)]
Application = get_application_model()


def revoke_access_tokens(admin, setup):
    admin_action(admin, "/admin/oauth2_provider/accesstoken/", "revoke_tokens", AccessToken.objects.values_list("pk", flat=True))


def revoke_refresh_tokens(admin, setup):
    admin_action(admin, "/admin/oauth2_provider/refreshtoken/", "revoke_tokens", RefreshToken.objects.values_list("pk", flat=True))


def revoke_authorization(admin, setup):
    admin_action(admin, "/admin/mcpgateway/oauthauthorization/", "revoke", [setup["authorization"].pk])


def delete_authorization(admin, setup):
    admin_delete(admin, f"/admin/mcpgateway/oauthauthorization/{setup['authorization'].pk}/")


def revoke_session_row(admin, setup):
    admin_action(admin, "/admin/mcpgateway/mcpsession/", "revoke", [setup["session_id"]])


def delete_session_row(admin, setup):
    admin_action(admin, "/admin/mcpgateway/mcpsession/", "delete_selected", [setup["session_id"]])


def delete_connection_row(admin, setup):
    admin_delete(admin, f"/admin/mcpgateway/mcpsession/{setup['authorization'].session_id}/")


def delete_application(admin, setup):
    # DOT's admin will not delete a client that has tokens (its token admins allow no deletes),
    # so the way a client is deleted with live tokens is its own RFC 7592 DELETE.
    page = admin.get(f"/admin/oauth2_provider/application/{setup['app'].pk}/delete/").content.decode()
    assert 'name="post"' not in page and "access token" in page
    response = httpx.delete(f"{setup['base']}/oauth/register/{setup['app'].client_id}",
                            headers={"Authorization": f"Bearer {setup['registration_access_token']}"})
    assert response.status_code == 204, response.text


TOKEN_PATHS = [revoke_access_tokens, revoke_refresh_tokens]
AUTHORIZATION_PATHS = [revoke_authorization, delete_authorization, revoke_session_row, delete_session_row, delete_connection_row]


@pytest.mark.parametrize("admin_path", [*TOKEN_PATHS, *AUTHORIZATION_PATHS, delete_application], ids=lambda path: path.__name__)
def test_each_admin_path_stops_the_client_on_every_worker_for_good(two_workers, signed_in, admin_browser, person, admin_path, settings):
    settings.OAUTH_DCR_RATE_LIMIT_PER_HOUR = 10_000
    registered = public_client().post("/oauth/register", {  # as MCP clients register: before anyone signs in
        "client_name": "Cursor", "redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"], "token_endpoint_auth_method": "none",
    }, content_type="application/json").json()
    app = Application.objects.get(client_id=registered["client_id"])
    tokens = approve_again(signed_in, app)
    session_id, _ = use_everywhere(two_workers, tokens["access_token"], client_name="Cursor")
    setup = {"app": app, "session_id": session_id, "authorization": OAuthAuthorization.objects.get(user=person, application=app),
             "base": two_workers[1], "registration_access_token": registered["registration_access_token"]}

    admin_path(admin_browser, setup)

    assert_refused_everywhere(two_workers, tokens["access_token"], session_ids=[session_id])
    assert_refresh_refused(two_workers, app.client_id, tokens["refresh_token"])
    if admin_path is delete_application:
        return
    if admin_path in AUTHORIZATION_PATHS:
        # The authorization ended: its session rows are closed (and consent is asked again, below).
        assert not McpSession.objects.filter(pk=session_id, revoked_at__isnull=True).exists()
    assert_reapproval_revives_nothing(two_workers, signed_in, app, tokens, consent_asked=admin_path in AUTHORIZATION_PATHS)
