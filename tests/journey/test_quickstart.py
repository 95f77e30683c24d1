"""A newcomer's journey, through the entry points people use: the README's Quick start command in a
clean copy of the repository (it bootstraps .venv, var/local.env, the database and the first admin
itself), then a real browser signs in with the printed admin password, connects Spotify at the
emulator, creates a personal access token, and three kinds of MCP clients (the SDK's `Client` with
that token, the SDK's `OAuthClientProvider` with a loopback callback, npm `mcp-remote`) call
Spotify tools in both protocol eras and change the person's player. Then the person revokes the
token with the dashboard's button and, as the admin, revokes the OAuth client's authorization with
the admin's own action: both credentials are refused at their next request.

On a PostgreSQL run of the suite the same command runs against a fresh PostgreSQL database and,
when the suite has Redis, a Redis database of its own, with two web workers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from mcpgateway.spotify_emulator.testing import EmulatorControl
from tests.browser.test_dashboard import CHROMIUM, CHROMIUM_ARGS
from tests.journey.quickstart import (
    QuickStartRun,
    clean_copy,
    fresh_postgres_database,
    fresh_redis,
    newcomer_environment,
    readme_run_command,
)
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN
from tests.mcpgateway.oauth.test_end_to_end import MemoryStorage
from tests.mcpgateway.oauth.test_mcp_remote import HERE as MCP_REMOTE_HOME
from tests.mcpgateway.oauth.test_mcp_remote import MCP_REMOTE_PACKAGE, Lines
from tests.support.processes import free_port, install_npm_tools
from tests.support.processes import test_database_url as database_url  # under its own name pytest would collect it
from tests.support.redis_databases import PRODUCT_OFFSET, neighbour_redis_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = settings.BASE_DIR / "var" / "test-artifacts" / "journey"  # kept after the run, for people to look at
SPOTIFY_PERSON = ("alice", "Alice Example")  # the emulator's person who agrees: Premium, playing on her MacBook
PLAYER_TOOLS = {"search", "get_currently_playing", "start_playback", "set_volume"}


@dataclass
class Product:
    base: str
    spotify: EmulatorControl
    run: QuickStartRun
    root: Path  # the clean copy it runs in


@pytest.fixture(scope="module")
def mcp_remote_node() -> str:
    return install_npm_tools(MCP_REMOTE_HOME, MCP_REMOTE_PACKAGE)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """The README's `./dev run`, started as a person starts it, on ports of its own."""
    readme = settings.BASE_DIR / "README.md"
    command = readme_run_command(readme)
    root = tmp_path_factory.mktemp("newcomer") / "spotify-mcp-gateway"
    clean_copy(settings.BASE_DIR, root)
    port, emulator_port = free_port(), free_port()
    base, emulator_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulator_port}"
    chosen = {"PORT": str(port), "PUBLIC_BASE_URL": base, "SPOTIFY_EMULATOR_URL": emulator_url}
    database = nullcontext()
    if connection.vendor == "postgresql":  # the production path: a fresh database, two web workers
        name = f"journey_{os.getpid()}"
        database = fresh_postgres_database(name, admin_url=database_url(name="postgres"))
        chosen.update(DATABASE_URL=database_url(name=name), WEB_WORKERS="2")
    if settings.REDIS_URL:
        chosen["REDIS_URL"] = neighbour_redis_url(settings.REDIS_URL, PRODUCT_OFFSET)
    for old in ARTIFACTS.glob("*"):
        old.unlink()
    run = QuickStartRun(command, cwd=root, env=newcomer_environment(readme, **chosen), log_path=ARTIFACTS / "dev-run.log")
    with database, fresh_redis(chosen.get("REDIS_URL")):
        spotify = EmulatorControl(base_url=emulator_url)
        try:
            run.start()
            run.wait_healthy(base, timeout=180)
            yield Product(base=base, spotify=spotify, run=run, root=root)
        finally:
            spotify.close()
            problems = run.stop()
        assert not problems, run.explain("Ctrl-C did not stop everything: " + "; ".join(problems))


def test_a_newcomer_runs_the_quick_start_connects_spotify_and_uses_three_mcp_clients(mcp_remote_node, quickstart):
    started = time.monotonic()
    try:
        asyncio.run(journey(quickstart, mcp_remote_node))
    except BaseException as exc:
        raise AssertionError(quickstart.run.explain(f"the journey failed after {time.monotonic() - started:.0f} s: {exc!r}")) from exc


async def journey(product: Product, node: str) -> None:
    from playwright.async_api import async_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: ./dev test installs it"
    username, password = (product.root / "var" / "initial-admin-password.txt").read_text().splitlines()[:2]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        page.set_default_timeout(15_000)
        try:
            await sign_in_and_connect_spotify(page, product, username, password)
            token = await create_personal_access_token(page, product)
            for mode, era, pick, volume in (("legacy", LEGACY, 0, 11), (None, MODERN, 1, 12)):
                http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
                await use_spotify(product, http, mode, era, pick=pick, volume=volume)
            oauth_storage = await oauth_client(page, product)
            # mcp-remote talks 2025-11-25 to the gateway by default; the second run, with the tokens
            # the first one got, negotiates 2026-07-28 (--protocol auto).
            await mcp_remote(page, product, node, protocol="legacy", pick=4, volume=31)
            await mcp_remote(page, product, node, protocol="auto", pick=5, volume=32)
            await page.goto(product.base + "/")
            await screenshot(page, "08-dashboard-with-clients")
            clients = await page.locator("#mcp-clients").inner_text()
            assert "Newcomer's assistant" in clients and "via mcp-remote" in clients, clients
            # OAuth clients are listed with how they signed in; the token's clients under the token.
            oauth_clients = await page.locator("[data-testid=oauth-client]").all_inner_texts()
            assert any("Newcomer's assistant" in c for c in oauth_clients), clients
            assert all("signed in with OAuth" in c for c in oauth_clients), clients
            token_clients = await page.locator("#tokens [data-testid=token-client]").all_inner_texts()
            assert token_clients, await page.locator("#tokens").inner_text()
            await revoke_on_the_dashboard(page, product, token)
            await revoke_in_the_admin(page, product, oauth_storage)
        except BaseException:
            await screenshot(page, "failure")
            raise
        finally:
            await browser.close()


async def screenshot(page, step: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{step}.png"), full_page=True)


async def sign_in_and_connect_spotify(page, product: Product, username: str, password: str) -> None:
    await page.goto(product.base + "/")
    assert "/accounts/login/" in page.url, page.url
    await screenshot(page, "01-login")
    await page.fill("#id_username", username)
    await page.fill("#id_password", password)
    await page.click("button[type=submit]")
    status = page.get_by_test_id("spotify-status")
    assert await status.inner_text() == "Not connected"
    await screenshot(page, "02-dashboard-not-connected")

    await page.click("#connect-spotify")
    await page.wait_for_selector("#agree")
    assert page.url.startswith(product.spotify.accounts_url), page.url
    spotify_id, spotify_name = SPOTIFY_PERSON
    await page.check(f"#user-{spotify_id}")
    await screenshot(page, "03-spotify-consent")
    await page.click("#agree")
    await page.wait_for_url(lambda url: url.startswith(product.base))
    await screenshot(page, "04-dashboard-connected")
    shown = await page.inner_text("body")
    assert page.url == product.base + "/", f"after Agree the browser is at {page.url} and shows:\n{shown[:1000]}"
    assert await status.inner_text() == f"Connected as {spotify_name}", shown[:1000]
    assert "user-modify-playback-state" in await page.get_by_test_id("spotify-scopes").inner_text()


async def create_personal_access_token(page, product: Product) -> str:
    await page.fill("#token-name", "newcomer's script")
    await page.click("#create-token")
    token = (await page.get_by_test_id("new-token").inner_text()).strip()
    await screenshot(page, "05-token-created")
    assert token.startswith("smgp_"), token[:8]
    return token


async def use_spotify(product: Product, http, mode: str | None, era: str, *, pick: int, volume: int) -> None:
    """The SDK's Client on /mcp in one era (mode None: the SDK's default, as in the README)."""
    options = {"mode": mode} if mode else {}
    async with http, Client(streamable_http_client(f"{product.base}/mcp", http_client=http), **options) as client:
        assert client.protocol_version == era

        async def call(name: str, arguments: dict) -> dict:
            return (await client.call_tool(name, arguments)).model_dump(mode="json", by_alias=True)

        tools = {tool.name for tool in (await client.list_tools()).tools}
        await play_and_turn_up(product, tools, call, pick=pick, volume=volume)


async def play_and_turn_up(product: Product, tools: set[str], call, *, pick: int, volume: int) -> None:
    """Search (a read), play the found track and set the volume (writes), read what plays now, and
    find all of it in the player of the person who agreed at Spotify."""
    assert PLAYER_TOOLS <= tools, sorted(tools)
    found = await call("search", {"query": "a", "types": ["track"], "limit": 6})
    assert not found.get("isError"), found
    track = found["structuredContent"]["tracks"]["items"][pick]["uri"]
    for name, arguments in (("start_playback", {"uris": [track]}), ("set_volume", {"volume_percent": volume})):
        answer = await call(name, arguments)
        assert not answer.get("isError"), (name, answer)
    now = await call("get_currently_playing", {})
    assert not now.get("isError") and now["structuredContent"]["item"]["uri"] == track, now
    player = (await asyncio.to_thread(product.spotify.user_state, SPOTIFY_PERSON[0]))["playback"]
    assert (player["item_uri"], player["is_playing"], player["volume_percent"]) == (track, True, volume), player


async def refused_at_mcp(product: Product, bearer: str) -> None:
    """The credential's next request to /mcp is refused (401), whatever it asks."""
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {bearer}"}) as http:
        answer = await http.post(f"{product.base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                 headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": MODERN})
    assert answer.status_code == 401, (answer.status_code, answer.text[:300])


async def revoke_on_the_dashboard(page, product: Product, token: str) -> None:
    """The person's own button: Revoke, a confirmation page naming what stops, and the token is refused."""
    await page.goto(product.base + "/")
    await page.get_by_role("link", name="Revoke newcomer's script").click()
    await page.wait_for_selector("#revoke-credential")
    await screenshot(page, "09-revoke-token-confirm")
    await page.get_by_role("button", name="Revoke newcomer's script").click()
    await page.wait_for_url(product.base + "/")
    await refused_at_mcp(product, token)


async def revoke_in_the_admin(page, product: Product, storage: MemoryStorage) -> None:
    """The admin's own action on the OAuth authorizations list: the client's access token is refused
    at its next request and its refresh token no longer works."""
    await page.goto(product.base + "/admin/mcpgateway/oauthauthorization/")
    row = page.locator("#result_list tbody tr", has_text="Newcomer's assistant")
    await row.locator("input.action-select").check()
    await page.select_option("select[name=action]", "revoke")
    await page.click("button[name=index]")
    assert "Revoked 1 authorization(s)." in await page.inner_text(".messagelist")
    await screenshot(page, "10-admin-revoked-authorization")
    await refused_at_mcp(product, storage.tokens.access_token)
    async with create_mcp_http_client() as http:
        refreshed = await http.post(f"{product.base}/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": storage.tokens.refresh_token,
            "client_id": storage.client_info.client_id})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant", refreshed.text[:300]


class LoopbackCallback:
    """The client's own redirect target (RFC 8252 §7.3: http on the loopback address, any port): a
    tiny HTTP server that keeps the authorization response's code, state and iss."""

    def __init__(self):
        self.received: dict[str, str] = {}
        self.arrived = threading.Event()
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                if url.path != "/callback":
                    self.send_error(404)
                    return
                callback.received = {k: v[0] for k, v in parse_qs(url.query).items()}
                callback.arrived.set()
                body = b"<!doctype html><title>Signed in</title><h1>Signed in. You can close this window.</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass  # the query carries the authorization code

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_port}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    async def result(self) -> AuthorizationCodeResult:
        assert await asyncio.to_thread(self.arrived.wait, 30), "the browser never reached the loopback callback"
        assert "code" in self.received, self.received
        return AuthorizationCodeResult(code=self.received["code"], state=self.received.get("state"), iss=self.received.get("iss"))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def approve_in_browser(page, url: str, *, client_name: str, lands_on: str, step: str) -> None:
    """The signed-in person opens the authorization URL, sees who asks, presses Allow, and the
    browser lands on the client's redirect URI."""
    await page.goto(url)
    assert await page.get_by_test_id("client-name").inner_text() == client_name
    await screenshot(page, f"{step}-consent")
    await page.click("#allow")
    await page.wait_for_url(lambda at: at.startswith(lands_on))
    await screenshot(page, f"{step}-callback")


async def oauth_client(page, product: Product) -> MemoryStorage:
    """The SDK's OAuthClientProvider: discovery, registration, the person's consent in the browser,
    the code back on a real loopback server; then Spotify in both eras with one authorization."""
    callback = LoopbackCallback()
    consents: list[str] = []

    async def redirect_handler(url: str) -> None:
        consents.append(url)
        await approve_in_browser(page, url, client_name="Newcomer's assistant", lands_on=callback.uri, step="06-sdk-oauth")

    metadata = OAuthClientMetadata(
        client_name="Newcomer's assistant", redirect_uris=[callback.uri], grant_types=["authorization_code", "refresh_token"],
        response_types=["code"], token_endpoint_auth_method="none",
    )
    storage = MemoryStorage()
    auth = OAuthClientProvider(f"{product.base}/mcp", metadata, storage, redirect_handler=redirect_handler,
                               callback_handler=callback.result)
    try:
        for mode, era, pick, volume in (("legacy", LEGACY, 2, 21), (None, MODERN, 3, 22)):
            await use_spotify(product, create_mcp_http_client(auth=auth), mode, era, pick=pick, volume=volume)
    finally:
        callback.close()
    assert len(consents) == 1, consents  # one consent serves both eras
    assert callback.received.get("iss") == product.base, callback.received  # RFC 9207
    return storage


async def mcp_remote(page, product: Product, node: str, *, protocol: str, pick: int, volume: int) -> None:
    """npm mcp-remote: the first time it prints the authorization URL, the person approves in the
    browser and the browser lands on mcp-remote's own callback; then JSON-RPC over its stdio."""
    home = product.root.parent / "mcp-remote-home"  # where it keeps its registration and tokens
    first_time = not (home / "auth").exists()
    port = free_port()
    proxy = subprocess.Popen(
        [node, str(MCP_REMOTE_HOME / "node_modules/mcp-remote/dist/proxy.js"), f"{product.base}/mcp", str(port),
         "--allow-http", "--host", "127.0.0.1", "--protocol", protocol],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
        env={"PATH": str(Path(node).parent) + ":/usr/bin:/bin", "HOME": str(home), "MCP_REMOTE_CONFIG_DIR": str(home / "auth"),
             "BROWSER": "none"},
    )
    stderr, stdout = Lines(proxy.stderr), Lines(proxy.stdout)
    try:
        if first_time:
            await asyncio.to_thread(stderr.wait_for, lambda line: "Please authorize this client by visiting" in line)
            url = (await asyncio.to_thread(stderr.wait_for, lambda line: line.startswith("http"))).strip()
            await approve_in_browser(page, url, client_name="MCP CLI Proxy", lands_on=f"http://127.0.0.1:{port}/oauth/callback",
                                     step="07-mcp-remote")
            assert "Authorization successful" in await page.inner_text("body")

        async def request(id_: int, method: str, params: dict) -> dict:
            proxy.stdin.write(json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}) + "\n")
            proxy.stdin.flush()
            line = await asyncio.to_thread(stdout.wait_for, lambda text: text.startswith("{") and json.loads(text).get("id") == id_)
            answer = json.loads(line)
            assert "result" in answer, answer
            return answer["result"]

        ids = iter(range(1, 100))
        await request(next(ids), "initialize", {"protocolVersion": LEGACY, "capabilities": {},
                                                "clientInfo": {"name": "newcomer-desktop-app", "version": "1"}})
        proxy.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        if protocol == "auto":
            await asyncio.to_thread(stderr.wait_for, lambda line: f"Remote server speaks MCP {MODERN}" in line)
        tools = {tool["name"] for tool in (await request(next(ids), "tools/list", {}))["tools"]}

        async def call(name: str, arguments: dict) -> dict:
            return await request(next(ids), "tools/call", {"name": name, "arguments": arguments})

        await play_and_turn_up(product, tools, call, pick=pick, volume=volume)
    except BaseException as exc:
        raise AssertionError(f"{exc!r}\nmcp-remote's stderr:\n{''.join(stderr.seen)}") from exc
    finally:
        proxy.kill()  # a client holding nothing worth a clean shutdown: its tokens live in a temporary folder
        proxy.wait()
