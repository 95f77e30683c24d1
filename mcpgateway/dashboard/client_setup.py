"""The copy-ready set-up of each MCP client for this gateway: one place that knows each client's
configuration format. Checked against each client's documentation (docs/connecting-clients.md
names the pages); tests parse every snippet back and use the filled-in ones against /mcp.

Every client here can do OAuth with the gateway, so the recommended set-up carries no secret; the
token variant is for people who prefer a personal access token (scripts, clients where OAuth is
blocked), filled in with a token made for that client on the page."""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass

SERVER_KEY = "spotify"  # the name the configuration gives the server in each client


@dataclass(frozen=True)
class ClientSetup:
    key: str  # stable id: page anchors, the token's name, tests
    name: str  # what people call the client
    where: str  # where the snippet goes
    oauth: str  # the recommended set-up: the client signs in through the gateway (OAuth)
    with_token: str | None  # the same with a personal access token (None: not needed, see note)
    language: str  # "shell" or "json": how the page labels the snippet
    note: str = ""
    deeplink: str | None = None  # Cursor's one-click install of the OAuth set-up


def _json(document: dict) -> str:
    return json.dumps(document, indent=2)


def _bearer(token: str) -> str:
    return f"Bearer {token}"


def cursor_deeplink(config: dict) -> str:
    """cursor://anysphere.cursor-deeplink/mcp/install?name=...&config=<base64 of the server's JSON>."""
    encoded = base64.b64encode(json.dumps(config, separators=(",", ":")).encode()).decode()
    return f"cursor://anysphere.cursor-deeplink/mcp/install?name={SERVER_KEY}&config={encoded}"


def client_setups(*, mcp_url: str, token: str | None = None) -> list[ClientSetup]:
    """The set-up of every client, for this gateway's /mcp URL; `token` fills the token variants
    (a placeholder names it otherwise, and the page offers to make one)."""
    secret = token or "<personal access token>"
    # Claude Code takes every option before the server's name.
    claude_code_token = f"claude mcp add --transport http --header {shlex.quote('Authorization: ' + _bearer(secret))} {SERVER_KEY} {shlex.quote(mcp_url)}"
    cursor_server = {"url": mcp_url}
    return [
        ClientSetup(
            key="claude-code",
            name="Claude Code",
            where="Run in a terminal; then type /mcp in Claude Code and choose Authenticate.",
            oauth=f"claude mcp add --transport http {SERVER_KEY} {shlex.quote(mcp_url)}",
            with_token=claude_code_token,
            language="shell",
        ),
        ClientSetup(
            key="claude-desktop",
            name="Claude Desktop",
            where="claude_desktop_config.json (Settings → Developer → Edit Config); restart Claude Desktop.",
            oauth=_json({"mcpServers": {SERVER_KEY: {"command": "npx", "args": ["-y", "mcp-remote", mcp_url]}}}),
            with_token=_json({"mcpServers": {SERVER_KEY: {
                "command": "npx",
                "args": ["-y", "mcp-remote", mcp_url, "--header", "Authorization:${AUTH_HEADER}"],
                "env": {"AUTH_HEADER": _bearer(secret)},
            }}}),
            language="json",
            note="Or, on plans with custom connectors: Settings → Connectors → Add custom connector, and paste the URL above.",
        ),
        ClientSetup(
            key="vscode",
            name="VS Code",
            where=".vscode/mcp.json in your workspace (or MCP: Open User Configuration).",
            oauth=_json({"servers": {SERVER_KEY: {"type": "http", "url": mcp_url}}}),
            with_token=_json({
                "inputs": [{"type": "promptString", "id": "spotify-gateway-token", "description": "Spotify MCP gateway token", "password": True}],
                "servers": {SERVER_KEY: {"type": "http", "url": mcp_url, "headers": {"Authorization": "Bearer ${input:spotify-gateway-token}"}}},
            }),
            language="json",
            note="With a token, VS Code asks for it once and keeps it in its secret storage; the file holds no secret.",
        ),
        ClientSetup(
            key="cursor",
            name="Cursor",
            where="~/.cursor/mcp.json (all projects) or .cursor/mcp.json (this project).",
            oauth=_json({"mcpServers": {SERVER_KEY: cursor_server}}),
            with_token=_json({"mcpServers": {SERVER_KEY: {"url": mcp_url, "headers": {"Authorization": _bearer(secret)}}}}),
            language="json",
            deeplink=cursor_deeplink(cursor_server),
        ),
        ClientSetup(
            key="mcp-remote",
            name="Other clients (stdio only), through mcp-remote",
            where="Any client that starts local servers: the command it should run.",
            oauth=f"npx -y mcp-remote {shlex.quote(mcp_url)}",
            with_token=f"AUTH_HEADER={shlex.quote(_bearer(secret))} npx -y mcp-remote {shlex.quote(mcp_url)} --header 'Authorization:${{AUTH_HEADER}}'",
            language="shell",
            note="mcp-remote signs in through your browser the first time; with a token it does not.",
        ),
    ]


def client_setup(key: str, *, mcp_url: str, token: str | None = None) -> ClientSetup | None:
    return next((setup for setup in client_setups(mcp_url=mcp_url, token=token) if setup.key == key), None)
