"""The "Connect a client" page: each client's set-up, filled in with this gateway's /mcp URL, in
each client's own format (parsed back here), a token made for one client shown once and filled into
its set-up, and those filled-in set-ups used as they are by real clients against a real worker."""

import base64
import json
import re
import shlex
import subprocess
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import PersonalAccessToken
from mcpgateway.core.scopes import ALL_MCP_SCOPES
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, mcp_client
from tests.support.processes import install_npm_tools

pytestmark = pytest.mark.django_db
MCP_URL = f"{settings.PUBLIC_BASE_URL}/mcp"
OAUTH_TESTS = Path(__file__).parents[1] / "oauth"  # where the mcp-remote tests install it


def snippet(page: str, test_id: str) -> str:
    match = re.search(rf'data-testid="{re.escape(test_id)}">(.*?)</pre>', page, re.S)
    assert match, f"no {test_id} on the page"
    return unescape(match.group(1))


@pytest.fixture
def signed_in(client, person):
    client.force_login(person)
    return client


def test_the_page_needs_a_signed_in_person(client):
    response = client.get("/connect")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_client_gets_its_own_format_with_this_gateways_url(signed_in):
    page = signed_in.get("/connect").content.decode()
    assert snippet(page, "mcp-url") == MCP_URL
    assert shlex.split(snippet(page, "claude-code-oauth")) == ["claude", "mcp", "add", "--transport", "http", "spotify", MCP_URL]
    desktop = json.loads(snippet(page, "claude-desktop-oauth"))
    assert desktop == {"mcpServers": {"spotify": {"command": "npx", "args": ["-y", "mcp-remote", MCP_URL]}}}
    assert json.loads(snippet(page, "vscode-oauth")) == {"servers": {"spotify": {"type": "http", "url": MCP_URL}}}
    assert json.loads(snippet(page, "cursor-oauth")) == {"mcpServers": {"spotify": {"url": MCP_URL}}}
    link = unescape(re.search(r'href="(cursor://[^"]+)"', page).group(1))
    assert link.startswith("cursor://anysphere.cursor-deeplink/mcp/install?name=spotify&config=")
    assert json.loads(base64.b64decode(link.split("config=", 1)[1])) == {"url": MCP_URL}
    assert shlex.split(snippet(page, "mcp-remote-oauth")) == ["npx", "-y", "mcp-remote", MCP_URL]
    # Every copy button copies something that is on the page.
    for target in re.findall(r'data-copy="([^"]+)"', page):
        assert f'id="{target}"' in page, target
    assert "smgp_" not in page and not PersonalAccessToken.objects.exists()


def test_a_token_made_for_one_client_is_shown_once_and_filled_into_its_set_up(signed_in, person):
    response = signed_in.post("/connect", {"client": "cursor"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    token = snippet(page, "cursor-token")
    plaintext = json.loads(token)["mcpServers"]["spotify"]["headers"]["Authorization"].removeprefix("Bearer ")
    assert plaintext.startswith("smgp_") and f'data-testid="new-token">{plaintext}<' in page
    row = PersonalAccessToken.objects.get(user=person)
    assert row.name.startswith("Cursor (") and row.scope_set == ALL_MCP_SCOPES and row.expires_at is not None
    # Only the client it was made for: the others keep a placeholder.
    assert plaintext not in snippet(page, "claude-code-token") and "<personal access token>" in snippet(page, "claude-code-token")
    assert plaintext not in signed_in.get("/connect").content.decode()  # and only this once


@pytest.mark.parametrize("client_key", ["", "nonsense", "cursor\x00"])
def test_an_unknown_client_is_refused_and_nothing_is_made(signed_in, client_key):
    response = signed_in.post("/connect", {"client": client_key})
    assert response.status_code == 400 and "Choose one of the clients" in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_the_token_needs_the_csrf_token(person):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True, HTTP_HOST=settings.PUBLIC_BASE_URL.split("://")[1])
    browser.force_login(person)
    assert browser.post("/connect", {"client": "cursor"}).status_code == 403
    assert not PersonalAccessToken.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_filled_in_set_ups_work_as_they_are_with_real_clients(signed_in, person, start_gateway, tmp_path):
    """The Claude Code header and the Cursor config with the SDK's own Client (both eras), and the
    Claude Desktop config run as it says, by npm's mcp-remote."""
    import anyio

    worker = start_gateway(PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL)
    local = lambda url: url.replace(settings.PUBLIC_BASE_URL, worker)  # noqa: E731 - the worker's own port

    claude_code = shlex.split(snippet(signed_in.post("/connect", {"client": "claude-code"}).content.decode(), "claude-code-token"))
    header = claude_code[claude_code.index("--header") + 1]
    cursor = json.loads(snippet(signed_in.post("/connect", {"client": "cursor"}).content.decode(), "cursor-token"))["mcpServers"]["spotify"]
    assert header.startswith("Authorization: Bearer smgp_") and claude_code[-2:] == ["spotify", MCP_URL]
    assert claude_code.index("--header") < claude_code.index("spotify")  # options before the name, as Claude Code wants

    async def identity(url, headers, mode):
        token = headers["Authorization"].removeprefix("Bearer ")
        async with mcp_client(url, token, mode=mode) as client:
            result = await client.call_tool("get_gateway_identity", {})
            return result.structured_content

    for mode in ("legacy", MODERN):
        for url, headers in ((MCP_URL, dict([header.split(": ", 1)])), (cursor["url"], cursor["headers"])):
            assert anyio.run(identity, local(url), headers, mode)["username"] == person.username

    desktop = json.loads(snippet(signed_in.post("/connect", {"client": "claude-desktop"}).content.decode(), "claude-desktop-token"))
    server = desktop["mcpServers"]["spotify"]
    assert server["command"] == "npx" and server["args"][:2] == ["-y", "mcp-remote"]
    node = install_npm_tools(OAUTH_TESTS, "mcp-remote@0.15.1")
    # npx -y mcp-remote <args> is the installed package's proxy with the same arguments; the
    # ${AUTH_HEADER} in them is mcp-remote's own substitution from the environment, as in the client.
    arguments = [local(argument) for argument in server["args"][2:]] + ["--allow-http", "--transport", "http-only"]
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "Claude Desktop", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_gateway_identity", "arguments": {}}},
    ]
    proxy = subprocess.Popen(
        [node, str(OAUTH_TESTS / "node_modules/mcp-remote/dist/proxy.js"), *arguments],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": str(Path(node).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path), "MCP_REMOTE_CONFIG_DIR": str(tmp_path / "auth"),
             "BROWSER": "none", **server["env"]},
    )
    try:
        replies = {}
        proxy.stdin.write(json.dumps(messages[0]) + "\n")
        proxy.stdin.flush()
        for line in proxy.stdout:
            if line.strip().startswith("{"):
                answer = json.loads(line)
                replies[answer.get("id")] = answer
                if answer.get("id") == 1:
                    for message in messages[1:]:
                        proxy.stdin.write(json.dumps(message) + "\n")
                    proxy.stdin.flush()
                if answer.get("id") == 2:
                    break
        identity = replies[2]["result"]["structuredContent"]
        assert identity["username"] == person.username and "token" in identity["credential"]
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
