"""Fixtures for the Spotify tools: the gateway's own MCP server (`build_server()`, with its tool
access rule), called in-process through the SDK's in-memory `Client` as one person, against the
emulator.

Every request the tools send to Spotify during a test is recorded and, after the test, checked
against Spotify's OpenAPI description (tests/mcpgateway/mcp/tools/openapi_requests.py).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult

from mcpgateway.core.scopes import ALL_SCOPES
from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.context import SCOPE_PRINCIPAL
from mcpgateway.mcp.server import build_server
from mcpgateway.spotify import transport
from tests.conftest import make_grant

from .openapi_requests import SentRequest, check_request

# The principal of the ToolCaller whose session is running.
_calling: dict[str, Principal] = {}


class ToolCaller:
    """The Spotify tools of one MCPServer, called as `principal` over an in-memory MCP session."""

    def __init__(self, server: MCPServer, principal: Principal):
        self.server = server
        self.principal = principal

    def session(self, work):
        """Run `await work(client)` in one MCP session (one event loop); return its result."""

        async def run():
            _calling["principal"] = self.principal
            async with Client(self.server) as client:
                return await work(client)

        return asyncio.run(run())

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        return self.session(lambda client: client.call_tool(name, arguments or {}))

    def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict:
        """Call a tool that must succeed; its structured content."""
        result = self.call(name, arguments)
        assert not result.is_error, f"{name} failed: {error_text(result)}"
        assert result.structured_content is not None, name
        return result.structured_content

    def error(self, name: str, arguments: dict[str, Any] | None = None) -> str:
        """Call a tool that must report a problem; the message."""
        result = self.call(name, arguments)
        assert result.is_error, f"{name} unexpectedly succeeded: {result.structured_content}"
        return error_text(result)

    def with_scopes(self, *scopes: str) -> ToolCaller:
        return ToolCaller(self.server, replace(self.principal, scopes=frozenset(scopes)))


def error_text(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture(autouse=True)
def sent_to_spotify(monkeypatch):
    """Requests to Spotify's Web API made during the test; each must match the OpenAPI file."""
    sent: list[SentRequest] = []

    async def record(request: httpx.Request) -> None:
        sent.append(SentRequest(request.method, str(request.url), request.content, request.headers.get("authorization")))

    def recording_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(headers={"User-Agent": "spotify-mcp-gateway-tests"}, event_hooks={"request": [record]})

    monkeypatch.setattr(transport, "_new_async_client", recording_client)
    transport._async_clients.clear()
    yield sent
    transport._async_clients.clear()
    for request in sent:
        check_request(request, api_prefix="/v1")


@pytest.fixture
def principal(person) -> Principal:
    return Principal(user_id=person.pk, username=person.username, scopes=frozenset(ALL_SCOPES), credential_id="pat:1", kind="pat", audience=None)


async def as_calling_principal(ctx, call_next):
    """Over HTTP the bridge puts the principal in the request's ASGI scope; in memory there is no
    HTTP request, so this outermost middleware gives each request one, holding the caller's."""
    ctx.request = SimpleNamespace(scope={SCOPE_PRINCIPAL: _calling["principal"]})
    return await call_next(ctx)


@pytest.fixture
def tools(principal) -> ToolCaller:
    server = build_server()
    server.middleware.insert(0, as_calling_principal)
    return ToolCaller(server, principal)


@pytest.fixture
def alice(emulator, person):
    """The person, connected to the emulator's seeded user alice: Premium, two devices, playing her Focus Mix."""
    return make_grant(emulator, person, spotify_user_id="alice")[0]


def connect_as(emulator, person, spotify_user_id: str):
    return make_grant(emulator, person, spotify_user_id=spotify_user_id)[0]


def spotify_requests(sent: list[SentRequest]) -> list[str]:
    """'METHOD /path' of each recorded request, for asserting what was (not) sent."""
    from urllib.parse import urlsplit

    return [f"{r.method} {urlsplit(r.url).path.removeprefix('/v1')}" for r in sent]


def body_of(request: SentRequest) -> Any:
    return json.loads(request.body) if request.body else None
