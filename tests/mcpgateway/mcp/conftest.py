"""The gateway served by real uvicorn processes sharing this test's database, and MCP clients for it."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.conftest import make_personal_access_token
from tests.support.processes import GatewayProcesses

MODERN = "2026-07-28"
LEGACY = "2025-11-25"
POST_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="session")
def gateway_workers(django_db_setup, django_db_blocker):
    """Two workers of one deployment (PUBLIC_BASE_URL names the first), for the whole run."""
    processes = GatewayProcesses()
    first = processes.start()
    second = processes.start(PUBLIC_BASE_URL=first)
    yield first, second
    processes.stop()


@pytest.fixture
def gateway(gateway_workers) -> str:
    return gateway_workers[0]


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(username="robin", password="a long and unusual password")


@pytest.fixture
def token(person) -> str:
    return make_personal_access_token(person)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def mcp_client(url: str, token: str, *, mode: str, **kwargs):
    """The SDK's own Client over Streamable HTTP with a bearer token; mode "legacy" or "2026-07-28"."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    http = create_mcp_http_client(headers=bearer(token))
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode, **kwargs) as client:
        yield client


def rpc(method: str, params: dict | None = None, id: int | None = 1) -> dict:
    message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    if id is not None:
        message["id"] = id
    return message


def initialize_params(name: str = "pytest-client") -> dict:
    return {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": name, "version": "1.2.3"}}


def messages_of(response: httpx.Response) -> list[dict]:
    """The JSON-RPC messages of a JSON or SSE reply."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:") and line[5:].strip()]
    return [response.json()]


def reply_of(response: httpx.Response) -> dict:
    return [m for m in messages_of(response) if "id" in m and ("result" in m or "error" in m)][-1]


def legacy_initialize(base: str, token: str, *, name: str = "pytest-client", path: str = "/mcp") -> httpx.Response:
    return httpx.post(f"{base}{path}", json=rpc("initialize", initialize_params(name)), headers={**POST_HEADERS, **bearer(token)})


def legacy_session(base: str, token: str, *, name: str = "pytest-client", path: str = "/mcp") -> str:
    """Open a 2025-11-25 session with raw HTTP; returns its Mcp-Session-Id."""
    response = legacy_initialize(base, token, name=name, path=path)
    assert response.status_code == 200, response.text
    session_id = response.headers["mcp-session-id"]
    ack = httpx.post(f"{base}{path}", json=rpc("notifications/initialized", id=None),
                     headers={**POST_HEADERS, **bearer(token), "Mcp-Session-Id": session_id, "MCP-Protocol-Version": LEGACY})
    assert ack.status_code == 202, ack.text
    return session_id


def legacy_call(
    base: str, token: str, session_id: str, method: str, params: dict | None = None, *, path: str = "/mcp", **headers: str
) -> httpx.Response:
    return httpx.post(
        f"{base}{path}", json=rpc(method, params),
        headers={**POST_HEADERS, **bearer(token), "Mcp-Session-Id": session_id, "MCP-Protocol-Version": LEGACY, **headers},
    )


MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "pytest-client", "version": "1.2.3"},
}
# The body parameter a 2026-07-28 request mirrors in its Mcp-Name header, per method.
NAME_PARAMS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def modern_call(base: str, token: str, method: str, params: dict | None = None, *, path: str = "/mcp", **headers: str) -> httpx.Response:
    """One 2026-07-28 request with raw HTTP: the `_meta` envelope and the routing headers a client sends."""
    params = {**(params or {}), "_meta": MODERN_META}
    routing = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if method in NAME_PARAMS and NAME_PARAMS[method] in params:
        routing["Mcp-Name"] = params[NAME_PARAMS[method]]
    return httpx.post(f"{base}{path}", json=rpc(method, params), headers={**POST_HEADERS, **bearer(token), **routing, **headers})
