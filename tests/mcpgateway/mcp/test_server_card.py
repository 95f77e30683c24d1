"""MCP discovery (SEP-2127): a tool that knows only the host finds the catalog, the Server Card, the
/mcp endpoint, its protocol versions and that it needs OAuth; the card validates against the
vendored schema (server_card/SOURCE.md) and agrees with what the live endpoint says."""

import json
from pathlib import Path

import httpx
import jsonschema
import pytest
from django.conf import settings

from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, legacy_initialize, modern_call, reply_of

SCHEMA = json.loads((Path(__file__).parent / "server_card" / "schema.json").read_text())
CARD_VALIDATOR = jsonschema.Draft202012Validator(
    {**SCHEMA, "$ref": "#/$defs/ServerCard"}, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


class HeadersByItem:
    """An httpx answer read like a Django one (answer["Header"]), so `discover` serves both."""

    def __init__(self, answer: httpx.Response):
        self.status_code, self.content, self._headers = answer.status_code, answer.content, answer.headers

    def __getitem__(self, name: str) -> str:
        return self._headers[name]


def discover(get) -> tuple[dict, dict]:
    """What a discovery tool does, from the host alone: the catalog, then the card it names."""
    catalog = get("/.well-known/mcp/catalog.json", {})
    assert catalog.status_code == 200 and catalog["Access-Control-Allow-Origin"] == "*"
    entries = json.loads(catalog.content)["entries"]
    assert [entry["type"] for entry in entries] == ["application/mcp-server-card+json"]
    card_url = entries[0]["url"]
    assert card_url == f"{settings.PUBLIC_BASE_URL}/mcp/server-card"
    card = get(card_url.removeprefix(settings.PUBLIC_BASE_URL), {"Accept": "application/mcp-server-card+json"})
    assert card.status_code == 200
    assert card["Content-Type"] == "application/mcp-server-card+json"
    assert card["Access-Control-Allow-Origin"] == "*" and "max-age" in card["Cache-Control"]
    return json.loads(catalog.content), json.loads(card.content)


@pytest.mark.django_db
def test_the_card_is_found_from_the_host_and_matches_the_schema(client):
    catalog, card = discover(lambda path, headers: client.get(path, headers=headers))
    CARD_VALIDATOR.validate(card)
    assert catalog["specVersion"] == "draft"
    [remote] = card["remotes"]
    assert remote["type"] == "streamable-http" and remote["url"] == settings.OAUTH_RESOURCE
    assert {LEGACY, MODERN} <= set(remote["supportedProtocolVersions"])
    [authorization] = remote["headers"]
    assert authorization["name"] == "Authorization" and authorization["isRequired"] and authorization["isSecret"]
    needs = card["_meta"]["spotify-mcp-gateway/authorization"]
    assert needs["required"] and needs["authorizationServers"] == [settings.OAUTH_ISSUER]


def test_the_schema_refuses_what_it_should():
    """The vendored schema is not a rubber stamp: the repository's own invalid examples' faults fail."""
    good = {"$schema": "https://static.modelcontextprotocol.io/schemas/v2/server-card.schema.json",
            "name": "com.example/weather", "description": "Weather.", "version": "1.0.0"}
    CARD_VALIDATOR.validate(good)
    for fault in ({"name": "no-slash"}, {"$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server-card.schema.json"},
                  {"packages": []}, {"description": ""}):
        with pytest.raises(jsonschema.ValidationError):
            CARD_VALIDATOR.validate({**good, **fault})
    with pytest.raises(jsonschema.ValidationError):
        CARD_VALIDATOR.validate({k: v for k, v in good.items() if k != "name"})


@pytest.mark.parametrize("path", ["/.well-known/mcp/catalog.json", "/mcp/server-card"])
@pytest.mark.django_db
def test_discovery_documents_are_read_only(client, path):
    assert client.post(path, {}).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_serves_what_the_card_promises(start_gateway, token):
    """Over real HTTP: the card's endpoint asks for OAuth the way the card says (401 naming the
    protected resource metadata), and its server/discover agrees with the card's identity."""
    base = start_gateway(PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL)

    _, card = discover(lambda path, headers: HeadersByItem(httpx.get(base + path, headers=headers)))
    CARD_VALIDATOR.validate(card)
    [remote] = card["remotes"]
    assert remote["url"] == settings.OAUTH_RESOURCE
    unauthenticated = httpx.post(f"{base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                 headers={"Accept": "application/json, text/event-stream"})
    assert unauthenticated.status_code == 401
    assert card["_meta"]["spotify-mcp-gateway/authorization"]["protectedResourceMetadata"] in unauthenticated.headers["WWW-Authenticate"]
    discovered = reply_of(modern_call(base, token, "server/discover"))["result"]
    assert set(discovered["supportedVersions"]) <= set(remote["supportedProtocolVersions"])
    assert discovered["_meta"]["io.modelcontextprotocol/serverInfo"]["version"] == card["version"]
    legacy = reply_of(legacy_initialize(base, token))["result"]
    assert legacy["protocolVersion"] in remote["supportedProtocolVersions"] and legacy["serverInfo"]["version"] == card["version"]
