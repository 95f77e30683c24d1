"""The person decides what a client gets: one checkbox per requested scope on the consent page, and
the token, the remembered consent and the tools the client sees are the ticked ones. Unticking
everything issues nothing; a POST approving what was not asked for is refused."""

import httpx
import pytest
from oauth2_provider.models import AccessToken, Grant

from mcpgateway.core.scopes import GATEWAY_SCOPE_NAMES
from mcpgateway.mcp.models import ToolPolicy
from mcpgateway.mcp.tools import TOOL_REQUIREMENTS
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import public_client
from tests.mcpgateway.mcp.conftest import reply_of, rpc
from tests.mcpgateway.mcp.test_tool_policy import RESTRICTED
from tests.mcpgateway.oauth.conftest import (
    authorize_url,
    connect_spotify,
    consent,
    exchange,
    pkce_pair,
    redirect_query,
)
from tests.mcpgateway.oauth.test_scopes import FULL_SPOTIFY_GRANT, session

READ_AND_PLAYLISTS = ["spotify:read", "spotify:playlists"]


def nothing_issued():
    return not Grant.objects.exists() and not AccessToken.objects.exists() and not OAuthAuthorization.objects.exists()


def test_each_requested_scope_is_a_ticked_checkbox_named_in_plain_words(signed_in, oauth_client):
    _verifier, challenge = pkce_pair()
    html = signed_in.get(authorize_url(oauth_client, challenge, scope="spotify:read spotify:playback")).content.decode()

    assert html.count('name="approved_scope"') == 2
    assert '<label title="spotify:read"><input type="checkbox" name="approved_scope" value="spotify:read" checked>' in html
    assert '<label title="spotify:playback"><input type="checkbox" name="approved_scope" value="spotify:playback" checked>' in html
    assert GATEWAY_SCOPE_NAMES["spotify:read"] in html and GATEWAY_SCOPE_NAMES["spotify:playback"] in html
    assert 'value="spotify:library"' not in html  # not asked for, not offered


def test_the_token_and_the_remembered_consent_are_the_ticked_scopes(signed_in, oauth_client, person):
    verifier, challenge = pkce_pair()
    answer = redirect_query(consent(signed_in, authorize_url(oauth_client, challenge), approved=READ_AND_PLAYLISTS))
    tokens = exchange(signed_in, oauth_client, answer["code"], verifier).json()

    assert set(tokens["scope"].split()) == set(READ_AND_PLAYLISTS)
    assert set(AccessToken.objects.get().scope.split()) == set(READ_AND_PLAYLISTS)
    assert OAuthAuthorization.objects.get(user=person).scope_set == set(READ_AND_PLAYLISTS)
    # Covered: no page. More than was approved: the person is asked again.
    assert "code" in redirect_query(signed_in.get(authorize_url(oauth_client, challenge, scope="spotify:read")))
    again = signed_in.get(authorize_url(oauth_client, challenge))
    assert again.status_code == 200 and 'id="authorizationForm"' in again.content.decode()


def test_unticking_everything_says_so_on_the_page_and_issues_nothing(signed_in, oauth_client):
    _verifier, challenge = pkce_pair()
    response = consent(signed_in, authorize_url(oauth_client, challenge), approved=[])

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="consent-error"' in html and "Tick at least one permission to allow the client, or press Deny." in html
    assert 'id="authorizationForm"' in html and "Test client" in html
    assert 'value="spotify:playback" checked' not in html  # as the person left it
    assert nothing_issued()
    # Deny still works with nothing ticked.
    denied = redirect_query(consent(signed_in, authorize_url(oauth_client, challenge), allow=False, approved=[]))
    assert denied["error"] == "access_denied" and nothing_issued()


@pytest.mark.parametrize("approved", [["spotify:read", "spotify:playback"], ["spotify:read", "admin:everything"]],
                         ids=["not-requested", "unknown"])
def test_approving_a_scope_that_was_not_requested_is_refused(signed_in, oauth_client, approved):
    _verifier, challenge = pkce_pair()
    response = consent(signed_in, authorize_url(oauth_client, challenge, scope="spotify:read"), approved=approved)

    assert response.status_code == 400
    assert "was not asked for by this client, so it cannot be approved" in response.content.decode()
    assert nothing_issued()


def test_widening_the_requested_scopes_in_the_form_is_refused(signed_in, oauth_client):
    _verifier, challenge = pkce_pair()
    url = authorize_url(oauth_client, challenge, scope="spotify:read")
    data = {k: v for k, v in signed_in.get(url).context["form"].initial.items() if v is not None}
    data.update(scope="spotify:read spotify:playback", approved_scope=["spotify:read", "spotify:playback"], allow="Authorize")

    response = signed_in.post(url, data)

    assert response.status_code == 400
    assert "not the ones the client asked for" in response.content.decode()
    assert nothing_issued()


def test_a_consent_post_missing_its_request_fields_is_a_400(signed_in, oauth_client):
    _verifier, challenge = pkce_pair()
    url = authorize_url(oauth_client, challenge)
    data = {k: v for k, v in signed_in.get(url).context["form"].initial.items() if v is not None and k != "response_type"}

    response = signed_in.post(url, {**data, "allow": "Authorize"})

    assert response.status_code == 400 and "The form lacks response_type." in response.content.decode()
    assert nothing_issued()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_client_granted_a_subset_lists_only_those_tools_and_admin_restrictions_are_no_challenge(start_gateway, person, oauth_client):
    base = start_gateway()
    connect_spotify(person)
    SpotifyGrant.objects.filter(user=person).update(scopes=FULL_SPOTIFY_GRANT)
    browser = public_client()
    browser.force_login(person)
    verifier, challenge = pkce_pair()
    answer = redirect_query(consent(browser, authorize_url(oauth_client, challenge), approved=READ_AND_PLAYLISTS))
    token = exchange(browser, oauth_client, answer["code"], verifier).json()["access_token"]
    AccessToken.objects.update(resource=[f"{base}/mcp"])  # the worker under test is the resource
    headers = session(base, token)

    names = {tool["name"] for tool in reply_of(httpx.post(f"{base}/mcp", json=rpc("tools/list", {}), headers=headers))["result"]["tools"]}

    expected = {name for name, r in TOOL_REQUIREMENTS.items() if r.gateway_scopes <= set(READ_AND_PLAYLISTS)}
    assert names == expected | {"get_gateway_identity"}
    unticked = httpx.post(f"{base}/mcp", json=rpc("tools/call", {"name": "pause_playback", "arguments": {}}), headers=headers)
    assert unticked.status_code == 403 and 'scope="spotify:playback"' in unticked.headers["www-authenticate"]

    # A tool an administrator restricted is a tool error, not a scope the client could ask for.
    ToolPolicy.objects.create(user=person, blocked_groups=["spotify:playback"], blocked_tools=["create_playlist"])
    for name in ("pause_playback", "create_playlist"):
        refused = httpx.post(f"{base}/mcp", json=rpc("tools/call", {"name": name, "arguments": {}}), headers=headers)
        assert refused.status_code == 200, refused.text
        result = reply_of(refused)["result"]
        assert result["isError"] is True and result["content"][0]["text"].startswith(RESTRICTED)
