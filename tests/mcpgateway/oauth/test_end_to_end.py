"""End to end with the `mcp` SDK's own OAuthClientProvider against a real uvicorn worker:
discovery, registration (DCR and CIMD), sign-in, Spotify connection through the emulator, consent,
Spotify tool calls (a read and a playback write, seen in the emulator's player) in both protocol
modes, refresh, revocation, then 401."""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import httpx
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.spotify.models import SpotifyGrant
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, POST_HEADERS, initialize_params, rpc
from tests.mcpgateway.oauth.browser import Browser
from tests.mcpgateway.oauth.cimd_support import PORT_VARIABLE, DocumentServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
CALLBACK = "http://127.0.0.1:33418/callback"
PASSWORD = "a long and unusual password"


class MemoryStorage:
    def __init__(self):
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


@pytest.fixture
def documents():
    server = DocumentServer()
    yield server
    server.close()


@pytest.fixture
def oauth_gateway(emulator, start_gateway, documents):
    """A worker started after the emulator fixture, with the test CIMD fetcher."""
    return start_gateway(
        OAUTH_CIMD_METADATA_FETCHER="tests.mcpgateway.oauth.cimd_support.LoopbackMetadataFetcher",
        **{PORT_VARIABLE: str(documents.port)},
    )


def provider(base: str, browser: Browser, storage: MemoryStorage, *, client_metadata_url: str | None = None) -> OAuthClientProvider:
    answer: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        answer.clear()
        answer.update(await asyncio.to_thread(browser.authorize, url))

    async def callback_handler() -> AuthorizationCodeResult:
        assert "code" in answer, answer
        return AuthorizationCodeResult(code=answer["code"], state=answer.get("state"), iss=answer.get("iss"))

    metadata = OAuthClientMetadata(
        client_name="E2E assistant", redirect_uris=[CALLBACK], grant_types=["authorization_code", "refresh_token"],
        response_types=["code"], token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(f"{base}/mcp", metadata, storage, redirect_handler=redirect_handler,
                               callback_handler=callback_handler, client_metadata_url=client_metadata_url)


class Use(NamedTuple):
    """What one connection of the client saw."""

    protocol_version: str
    tools: set[str]
    identity: dict
    played: str  # the track it started


async def use_gateway(base: str, auth: OAuthClientProvider, mode: str, *, pick: int) -> Use:
    """What an assistant does for the person: list the tools, ask who it acts for, search Spotify
    (a read) and play the `pick`th track found (a playback write)."""
    http = create_mcp_http_client(auth=auth)
    async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=mode) as client:
        tools = await client.list_tools()
        who = await client.call_tool("get_gateway_identity", {})
        found = await client.call_tool("search", {"query": "a", "types": ["track"], "limit": 5})
        assert not who.is_error and not found.is_error, (who, found)
        track = found.structured_content["tracks"]["items"][pick]["uri"]
        played = await client.call_tool("start_playback", {"uris": [track]})
        assert not played.is_error, played
        return Use(client.protocol_version, {t.name for t in tools.tools}, who.structured_content, track)


def assert_playing(emulator, person, track: str) -> None:
    """The person's own Spotify player (the account they agreed with at the emulator) plays `track`."""
    player = emulator.user_state(SpotifyGrant.objects.get(user=person).spotify_user_id)["playback"]
    assert (player["item_uri"], player["is_playing"]) == (track, True), player


def mcp_status(base: str, access_token: str) -> int:
    response = httpx.post(f"{base}/mcp", json=rpc("initialize", initialize_params("status-probe")),
                          headers={**POST_HEADERS, "Authorization": f"Bearer {access_token}"})
    return response.status_code


def run_client(base, person, emulator, *, client_metadata_url=None):
    browser = Browser(base, person.get_username(), PASSWORD, accounts_url=emulator.accounts_url)
    storage = MemoryStorage()
    auth = provider(base, browser, storage, client_metadata_url=client_metadata_url)
    try:
        legacy = asyncio.run(use_gateway(base, auth, "legacy", pick=0))
        assert_playing(emulator, person, legacy.played)
        modern = asyncio.run(use_gateway(base, auth, MODERN, pick=1))
        assert_playing(emulator, person, modern.played)
        first_tokens = storage.tokens
        # The access token "expires": the provider refreshes on its own before the next request.
        auth.context.token_expiry_time = 1.0  # long past
        after_refresh = asyncio.run(use_gateway(base, auth, MODERN, pick=2))
        assert_playing(emulator, person, after_refresh.played)
    finally:
        browser.close()
    return browser, storage, first_tokens, legacy, modern, after_refresh


def test_an_sdk_client_registers_signs_in_connects_spotify_and_works_until_revoked(oauth_gateway, emulator, person):
    browser, storage, first_tokens, legacy, modern, after_refresh = run_client(oauth_gateway, person, emulator)

    # Discovery, DCR, sign-in, Spotify through the emulator, consent: once.
    assert len(browser.pages) == 1
    assert "E2E assistant" in browser.pages[0]
    assert storage.client_info.client_id and not storage.client_info.client_id.startswith("https://")
    assert person.spotify_grant.status == "active"

    assert legacy.protocol_version == LEGACY and modern.protocol_version == MODERN
    for use in (legacy, modern, after_refresh):
        assert use.identity["username"] == person.get_username()
        assert use.identity["credential"] == "oauth"
        assert {"get_gateway_identity", "search", "start_playback"} <= use.tools
    assert len({legacy.played, modern.played, after_refresh.played}) == 3  # each write reached Spotify
    # One authorization, one row for it, used by both eras' connection tracking.
    authorization = OAuthAuthorization.objects.get(user=person)
    assert modern.identity["session_id"] == str(authorization.session_id)

    # Refresh rotated the tokens; the old access token is gone.
    assert storage.tokens.access_token != first_tokens.access_token
    assert storage.tokens.refresh_token != first_tokens.refresh_token
    assert mcp_status(oauth_gateway, storage.tokens.access_token) == 200
    assert mcp_status(oauth_gateway, first_tokens.access_token) == 401

    # RFC 7009 revocation at the token's own endpoint, then 401.
    revoked = httpx.post(f"{oauth_gateway}/oauth/revoke", data={
        "token": storage.tokens.access_token, "client_id": storage.client_info.client_id})
    assert revoked.status_code == 200
    assert mcp_status(oauth_gateway, storage.tokens.access_token) == 401


def test_a_cimd_client_signs_in_without_registering(oauth_gateway, emulator, person, documents):
    url = "https://assistant.example/oauth/client.json"
    documents.publish("/oauth/client.json", {
        "client_id": url, "client_name": "CIMD assistant", "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"], "token_endpoint_auth_method": "none",
    })
    browser, storage, _first, legacy, modern, after_refresh = run_client(oauth_gateway, person, emulator, client_metadata_url=url)

    assert storage.client_info.client_id == url
    assert "CIMD assistant" in browser.pages[0]
    assert legacy.identity["credential"] == modern.identity["credential"] == after_refresh.identity["credential"] == "oauth"


def test_revoking_the_session_on_the_dashboard_revokes_the_client_on_every_worker(oauth_gateway, emulator, person, start_gateway):
    _browser, storage, _first, _legacy, _modern, _after = run_client(oauth_gateway, person, emulator)
    second_worker = start_gateway(PUBLIC_BASE_URL=oauth_gateway)
    token = storage.tokens.access_token
    assert mcp_status(oauth_gateway, token) == 200 and mcp_status(second_worker, token) == 200  # both cache it

    browser = Browser(oauth_gateway, person.get_username(), PASSWORD, accounts_url=emulator.accounts_url)
    try:
        browser.sign_in(f"{oauth_gateway}/accounts/login/")
        dashboard = browser.http.get(f"{oauth_gateway}/")
        session = McpSession.objects.get(oauth_authorization__user=person)
        assert "E2E assistant" in dashboard.text
        import re

        from tests.mcpgateway.oauth.browser import hidden_fields

        assert f'href="/sessions/{session.pk}/revoke"' in dashboard.text, dashboard.text
        confirmation = browser.http.get(f"{oauth_gateway}/sessions/{session.pk}/revoke")  # the dashboard's link
        form = re.search(r'<form method="post" id="revoke-credential">(.*?)</form>', confirmation.text, re.S)
        assert form, confirmation.text
        answer = browser.http.post(f"{oauth_gateway}/sessions/{session.pk}/revoke", data=hidden_fields(form.group(1)))
        assert answer.status_code == 302
    finally:
        browser.close()

    assert mcp_status(oauth_gateway, token) == 401
    assert mcp_status(second_worker, token) == 401
    refreshed = httpx.post(f"{oauth_gateway}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": storage.tokens.refresh_token, "client_id": storage.client_info.client_id})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
