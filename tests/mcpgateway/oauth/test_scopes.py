"""Scopes: an OAuth client sees the tools its scopes allow, and a call that needs more gets
403 `insufficient_scope` naming the scope (so the client can ask the person for it)."""

import httpx
import pytest
from oauth2_provider.models import AccessToken

from mcpgateway.mcp.tools import TOOL_REQUIREMENTS
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import public_client
from tests.mcpgateway.mcp.conftest import LEGACY, POST_HEADERS, initialize_params, reply_of, rpc
from tests.mcpgateway.oauth.conftest import approve, connect_spotify, exchange, pkce_pair

# Every Spotify scope a tool needs: with such a grant only the OAuth token's scopes can hide a tool.
FULL_SPOTIFY_GRANT = " ".join(sorted(set().union(*(r.spotify_scopes for r in TOOL_REQUIREMENTS.values()))))

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def oauth_gateway(start_gateway):
    return start_gateway()


def read_only_token(person, oauth_client, base) -> str:
    """An OAuth token granted spotify:read alone, for a person whose Spotify grant allows every tool."""
    connect_spotify(person)
    SpotifyGrant.objects.filter(user=person).update(scopes=FULL_SPOTIFY_GRANT)
    browser = public_client()
    browser.force_login(person)
    verifier, challenge = pkce_pair()
    code = approve(browser, oauth_client, challenge, scope="spotify:read")["code"]
    tokens = exchange(browser, oauth_client, code, verifier).json()
    # Issued here for this process's resource; the worker under test is the resource `base`/mcp.
    AccessToken.objects.update(resource=[f"{base}/mcp"])
    return tokens["access_token"]


def session(base, token):
    headers = {**POST_HEADERS, "Authorization": f"Bearer {token}"}
    init = httpx.post(f"{base}/mcp", json=rpc("initialize", initialize_params()), headers=headers)
    assert init.status_code == 200, init.text
    headers.update({"Mcp-Session-Id": init.headers["mcp-session-id"], "MCP-Protocol-Version": LEGACY})
    httpx.post(f"{base}/mcp", json=rpc("notifications/initialized", id=None), headers=headers)
    return headers


def test_a_call_beyond_the_granted_scopes_is_a_403_insufficient_scope_challenge(oauth_gateway, person, oauth_client):
    headers = session(oauth_gateway, read_only_token(person, oauth_client, oauth_gateway))

    response = httpx.post(f"{oauth_gateway}/mcp", json=rpc("tools/call", {"name": "pause_playback", "arguments": {}}, id=7), headers=headers)

    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope", scope="spotify:playback"')
    assert f'resource_metadata="{oauth_gateway}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert response.json()["id"] == 7


def test_tools_are_listed_per_granted_scope(oauth_gateway, person, oauth_client):
    headers = session(oauth_gateway, read_only_token(person, oauth_client, oauth_gateway))
    listed = httpx.post(f"{oauth_gateway}/mcp", json=rpc("tools/list", {}), headers=headers)

    names = {tool["name"] for tool in reply_of(listed)["result"]["tools"]}
    read_tools = {name for name, r in TOOL_REQUIREMENTS.items() if r.gateway_scopes <= {"spotify:read"}}
    assert names == read_tools | {"get_gateway_identity"}
    assert {"pause_playback", "create_playlist", "save_to_library"}.isdisjoint(names)
    allowed = httpx.post(f"{oauth_gateway}/mcp", json=rpc("tools/call", {"name": "get_gateway_identity", "arguments": {}}), headers=headers)
    assert allowed.status_code == 200
