"""What the gateway's MCP server (mcpgateway/mcp/server.py) tells clients about itself, the same in
both eras and over real HTTP: its version, only the capabilities it serves, and the errors the spec
names for prompts it does not have. A worker that logs a traceback fails the run (GatewayProcesses)."""

import tomllib

import pytest
from django.conf import settings

from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, legacy_call, legacy_initialize, legacy_session, modern_call, reply_of

pytestmark = [pytest.mark.django_db(transaction=True)]
ERAS = [LEGACY, MODERN]
SERVER_INFO = "io.modelcontextprotocol/serverInfo"


def project_version() -> str:
    with open(settings.BASE_DIR / "pyproject.toml", "rb") as pyproject:
        return tomllib.load(pyproject)["project"]["version"]


def legacy_identity(base, token) -> dict:
    response = legacy_initialize(base, token)
    assert response.status_code == 200, response.text
    return reply_of(response)["result"]


def modern_identity(base, token) -> dict:
    response = modern_call(base, token, "server/discover")
    assert response.status_code == 200, response.text
    return reply_of(response)["result"]


def caller(era, base, token, *, path="/mcp"):
    """Sends requests in one era: 2025-11-25 in one session, 2026-07-28 one by one; each one's reply."""
    session_id = legacy_session(base, token, path=path) if era == LEGACY else None

    def call(method, params) -> dict:
        if session_id is not None:
            return reply_of(legacy_call(base, token, session_id, method, params, path=path))
        return reply_of(modern_call(base, token, method, params, path=path))

    return call


def test_server_info_names_the_package_version_in_both_eras(gateway, token):
    legacy = legacy_identity(gateway, token)["serverInfo"]
    modern = modern_identity(gateway, token)["_meta"][SERVER_INFO]

    assert legacy["version"] == modern["version"] == project_version()
    assert legacy["name"] == modern["name"] == "spotify-mcp-gateway"


def test_both_eras_advertise_the_tools_it_serves_and_nothing_else(gateway, token):
    legacy = legacy_identity(gateway, token)["capabilities"]
    modern = modern_identity(gateway, token)["capabilities"]

    # No prompts, no resources, and no list-changed notifications or subscriptions: the gateway
    # sends none (2026-07-28 would deliver them on subscriptions/listen, which it does not serve).
    assert legacy == modern == {"tools": {"listChanged": False}}


@pytest.mark.parametrize("era", ERAS)
def test_what_the_gateway_does_not_advertise_is_method_not_found(gateway, token, era):
    call = caller(era, gateway, token)
    unserved = [("prompts/list", {}), ("prompts/get", {"name": "anything"}), ("resources/list", {}),
                ("resources/read", {"uri": "spotify:track:1"})]
    if era == MODERN:
        unserved.append(("subscriptions/listen", {"notifications": {"toolsListChanged": True}}))

    for method, params in unserved:
        assert call(method, params)["error"]["code"] == -32601, method


@pytest.mark.parametrize("era", ERAS)
def test_a_prompt_the_server_cannot_render_is_invalid_params(gateway, token, era):
    """Through the same bridge, a server with prompts (the conformance fixture). MCP 2025-11-25
    server/prompts "Error Handling": an invalid prompt name or missing required arguments: -32602."""
    call = caller(era, gateway, token, path="/mcp-conformance")

    unknown = call("prompts/get", {"name": "no_such_prompt"})["error"]
    missing = call("prompts/get", {"name": "test_prompt_with_arguments", "arguments": {"arg1": "only one"}})["error"]
    served = call("prompts/get", {"name": "test_prompt_with_arguments", "arguments": {"arg1": "a", "arg2": "b"}})["result"]

    assert unknown["code"] == -32602 and "no_such_prompt" in unknown["message"], unknown
    assert missing["code"] == -32602 and "arg2" in missing["message"], missing
    assert served["messages"][0]["content"]["text"] == "Prompt with arguments: arg1='a', arg2='b'"


def test_get_gateway_identity_runs_on_the_event_loop():
    # The SDK runs a synchronous tool on a worker thread: a thread hop per call for a few attribute reads.
    import inspect

    from mcpgateway.mcp.server import get_gateway_identity

    assert inspect.iscoroutinefunction(get_gateway_identity)
