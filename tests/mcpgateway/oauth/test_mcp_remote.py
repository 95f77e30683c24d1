"""npm's `mcp-remote` as an outside MCP client, headless: it prints the authorization URL, the test
completes it as a signed-in person over HTTP, mcp-remote gets its tokens and proxies tool calls:
who it acts for, a Spotify search (a read) and starting a track (a playback write, seen in the
emulator's player of the person).

Needs Node >= 22 and mcp-remote; tests/support/install_npm_tools.sh installs both into
tests/mcpgateway/oauth/node_modules (npm registry), nothing global."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from mcpgateway.spotify.models import SpotifyGrant
from tests.mcpgateway.oauth.browser import Browser
from tests.support.processes import free_port, install_npm_tools

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
HERE = Path(__file__).parent
MCP_REMOTE_PACKAGE = "mcp-remote@0.15.1"
PASSWORD = "a long and unusual password"


@pytest.fixture(scope="module")
def node() -> str:
    return install_npm_tools(HERE, MCP_REMOTE_PACKAGE)


@pytest.fixture
def oauth_gateway(emulator, start_gateway):
    return start_gateway()


class Lines:
    def __init__(self, stream):
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.queue.put(line)

    def wait_for(self, predicate, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError("timed out; output so far:\n" + "".join(self.seen))


def test_mcp_remote_authorizes_headless_and_calls_tools(node, oauth_gateway, emulator, person, tmp_path):
    port = free_port()
    proxy = subprocess.Popen(
        [node, str(HERE / "node_modules/mcp-remote/dist/proxy.js"), f"{oauth_gateway}/mcp", str(port), "--allow-http",
         "--host", "127.0.0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
        env={"PATH": str(Path(node).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path), "MCP_REMOTE_CONFIG_DIR": str(tmp_path / "auth"),
             "BROWSER": "none"},
    )
    stderr, stdout = Lines(proxy.stderr), Lines(proxy.stdout)
    try:
        stderr.wait_for(lambda line: "Please authorize this client by visiting" in line)
        url = stderr.wait_for(lambda line: line.startswith("http")).strip()

        browser = Browser(oauth_gateway, person.get_username(), PASSWORD, accounts_url=emulator.accounts_url)
        try:
            answer = browser.authorize(url, client_redirect_prefix="http://127.0.0.1:%d" % port)
            assert "code" in answer and answer["iss"] == oauth_gateway
            assert "resource" in url and "code_challenge_method=S256" in url
            # The person's browser lands on mcp-remote's own callback server.
            assert httpx.get(browser.last_redirect.replace("localhost", "127.0.0.1")).status_code == 200
        finally:
            browser.close()

        def send(message):
            proxy.stdin.write(json.dumps(message) + "\n")
            proxy.stdin.flush()

        def reply(id_):
            return json.loads(stdout.wait_for(lambda line: line.strip().startswith("{") and json.loads(line).get("id") == id_))

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "headless-test", "version": "1"}}})
        assert "result" in reply(1)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        tools = {tool["name"] for tool in reply(2)["result"]["tools"]}
        assert {"get_gateway_identity", "search"} <= tools
        send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get_gateway_identity", "arguments": {}}})
        identity = reply(3)["result"]["structuredContent"]
        assert identity["username"] == person.get_username() and identity["credential"] == "oauth"

        send({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
            "name": "search", "arguments": {"query": "a", "types": ["track"], "limit": 5}}})
        found = reply(4)["result"]
        assert not found.get("isError"), found
        track = found["structuredContent"]["tracks"]["items"][3]["uri"]
        send({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "start_playback", "arguments": {"uris": [track]}}})
        played = reply(5)["result"]
        assert not played.get("isError"), played
        player = emulator.user_state(SpotifyGrant.objects.get(user=person).spotify_user_id)["playback"]
        assert (player["item_uri"], player["is_playing"]) == (track, True), player
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
