"""Bad requests get the status and JSON-RPC error the spec names: never a 500, never a traceback
(the worker fixture fails a test whose worker logged one), never Django's HTML."""

import http.client
import json
from urllib.parse import urlsplit

import httpx
import pytest

from mcpgateway.mcp.models import McpSession
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN, MODERN_META, POST_HEADERS, bearer, initialize_params, legacy_call, legacy_session, rpc

pytestmark = [pytest.mark.django_db(transaction=True)]


def modern_post(base, token, body, **headers):
    kwargs = {"content": body} if isinstance(body, (bytes, str)) else {"json": body}
    return httpx.post(f"{base}/mcp", headers={**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN, **headers}, **kwargs)


def assert_jsonrpc_error(response, status, code=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["jsonrpc"] == "2.0" and "error" in body, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body


@pytest.mark.parametrize("era", [LEGACY, MODERN])
def test_a_body_over_the_limit_is_413_json(gateway, token, era):
    big = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + b"x" * (4 * 1024 * 1024) + b'"}}'
    response = httpx.post(f"{gateway}/mcp", content=big, headers={**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": era})
    assert_jsonrpc_error(response, 413)


def test_a_body_over_djangos_own_upload_limit_but_within_ours_is_served(gateway, token):
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) must not answer first with an HTML 400."""
    session_id = legacy_session(gateway, token)
    response = legacy_call(gateway, token, session_id, "tools/call",
                           {"name": "get_gateway_identity", "arguments": {}, "_meta": {"pad": "x" * 3_000_000}})
    assert response.status_code == 200, response.text[:300]


def test_malformed_json_is_a_parse_error(gateway, token):
    legacy = httpx.post(f"{gateway}/mcp", content=b'{"jsonrpc": "2.0", "id": 1, "method":', headers={**POST_HEADERS, **bearer(token)})
    modern = modern_post(gateway, token, b'{"jsonrpc": "2.0", "id": 1,', **{"Mcp-Method": "tools/list"})
    assert_jsonrpc_error(legacy, 400, -32700)
    assert_jsonrpc_error(modern, 400, -32700)


@pytest.mark.parametrize("era", [LEGACY, MODERN])
def test_a_wrong_content_type_is_refused_with_a_jsonrpc_error(gateway, token, era):
    response = httpx.post(f"{gateway}/mcp", content=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
                          headers={**POST_HEADERS, **bearer(token), "Content-Type": "text/plain", "MCP-Protocol-Version": era})
    assert response.status_code in (400, 415)
    assert_jsonrpc_error(response, response.status_code)


def test_an_unacceptable_accept_header_is_406(gateway, token):
    session_id = legacy_session(gateway, token)
    legacy = legacy_call(gateway, token, session_id, "tools/list", {}, Accept="text/html")
    modern = modern_post(gateway, token, rpc("tools/list", {"_meta": MODERN_META}), Accept="text/html", **{"Mcp-Method": "tools/list"})
    assert legacy.status_code == 406
    assert modern.status_code == 406


def test_an_unknown_method_is_method_not_found(gateway, token):
    session_id = legacy_session(gateway, token)
    legacy = legacy_call(gateway, token, session_id, "spotify/teleport", {})
    modern = modern_post(gateway, token, rpc("spotify/teleport", {"_meta": MODERN_META}), **{"Mcp-Method": "spotify/teleport"})
    from tests.mcpgateway.mcp.conftest import reply_of

    assert legacy.status_code == 200 and reply_of(legacy)["error"]["code"] == -32601
    assert_jsonrpc_error(modern, 404, -32601)


def test_invalid_params_are_invalid_params(gateway, token):
    from tests.mcpgateway.mcp.conftest import reply_of

    session_id = legacy_session(gateway, token)
    legacy = legacy_call(gateway, token, session_id, "tools/call", {"arguments": {}})
    modern = modern_post(gateway, token, rpc("tools/call", {"arguments": {}, "_meta": MODERN_META}), **{"Mcp-Method": "tools/call"})
    assert reply_of(legacy)["error"]["code"] == -32602
    assert_jsonrpc_error(modern, 400, -32602)


def test_a_modern_request_whose_routing_headers_disagree_with_its_body_is_400(gateway, token):
    wrong_method = modern_post(gateway, token, rpc("tools/list", {"_meta": MODERN_META}), **{"Mcp-Method": "tools/call"})
    wrong_name = modern_post(
        gateway, token, rpc("tools/call", {"name": "get_gateway_identity", "arguments": {}, "_meta": MODERN_META}),
        **{"Mcp-Method": "tools/call", "Mcp-Name": "something_else"},
    )
    assert_jsonrpc_error(wrong_method, 400)
    assert_jsonrpc_error(wrong_name, 400)


def test_routing_headers_are_compared_without_surrounding_whitespace(gateway, token):
    """RFC 9110 §5.5: a field value excludes the whitespace around it, so the SDK must see
    `Mcp-Name: get_gateway_identity` here (the conformance suite's
    sep-2243-server-accepts-whitespace-header-value). httpx refuses to send such values: http.client."""
    body = json.dumps(rpc("tools/call", {"name": "get_gateway_identity", "arguments": {}, "_meta": MODERN_META}))
    connection = http.client.HTTPConnection(urlsplit(gateway).netloc, timeout=10)
    connection.request("POST", "/mcp", body, headers={
        **POST_HEADERS, **bearer(token),
        "MCP-Protocol-Version": f" {MODERN}\t", "Mcp-Method": "tools/call ", "Mcp-Name": "  get_gateway_identity  ",
    })
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()

    assert response.status == 200, text
    assert '"username":"robin"' in text.replace(" ", ""), text
    # Session tracking read the same trimmed version.
    assert McpSession.objects.get(kind=McpSession.Kind.CONNECTION).protocol_version == MODERN


def test_a_foreign_origin_is_403(gateway, token):
    response = httpx.post(f"{gateway}/mcp", json=rpc("initialize", {}),
                          headers={**POST_HEADERS, **bearer(token), "Origin": "http://evil.example"})
    assert_jsonrpc_error(response, 403)


def test_a_host_the_gateway_does_not_serve_is_refused(gateway, token):
    response = httpx.post(f"{gateway}/mcp", json=rpc("initialize", {}),
                          headers={**POST_HEADERS, **bearer(token), "Host": "evil.example"})
    assert_jsonrpc_error(response, 421)


def test_a_configured_public_host_works_and_its_origin_is_accepted(start_gateway, token):
    base = start_gateway(PUBLIC_BASE_URL="https://gateway.example.org", ALLOWED_HOSTS="gateway.example.org,127.0.0.1")
    headers = {**POST_HEADERS, **bearer(token), "Host": "gateway.example.org", "Origin": "https://gateway.example.org"}
    response = httpx.post(f"{base}/mcp", json=rpc("initialize", {"protocolVersion": LEGACY, "capabilities": {},
                                                                 "clientInfo": {"name": "t", "version": "1"}}), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["mcp-session-id"]


def test_bodiless_replies_are_not_labelled_html(gateway, token):
    session_id = legacy_session(gateway, token)
    legacy = httpx.post(f"{gateway}/mcp", json=rpc("notifications/initialized", id=None),
                        headers={**POST_HEADERS, **bearer(token), "Mcp-Session-Id": session_id, "MCP-Protocol-Version": LEGACY})
    modern = modern_post(gateway, token, rpc("notifications/initialized", id=None))
    assert legacy.status_code == 202
    assert "html" not in legacy.headers.get("content-type", "")
    assert modern.status_code == 202
    assert "content-type" not in modern.headers  # the SDK sends none; Django must not add text/html


def test_an_unsupported_http_method_is_405_json(gateway, token):
    response = httpx.put(f"{gateway}/mcp", json=rpc("ping"), headers={**POST_HEADERS, **bearer(token)})
    assert response.status_code == 405
    assert "html" not in response.headers.get("content-type", "")


def test_a_client_name_with_a_nul_is_kept_without_it(gateway, token):
    """PostgreSQL refuses NUL in text. The name is what the client says it is, shown to people: the
    gateway keeps the rest of it, in both eras."""
    from mcpgateway.mcp.models import McpSession

    initialize = rpc("initialize", {**initialize_params(), "clientInfo": {"name": "pytest\x00client", "version": "1\x00"}})
    legacy = httpx.post(f"{gateway}/mcp", json=initialize, headers={**POST_HEADERS, **bearer(token)})
    assert legacy.status_code == 200, legacy.text
    meta = {**MODERN_META, "io.modelcontextprotocol/clientInfo": {"name": "pytest\x00client", "version": "1"}}
    modern = modern_post(gateway, token, rpc("tools/list", {"_meta": meta}), **{"Mcp-Method": "tools/list"})
    assert modern.status_code == 200, modern.text
    kept = {(row.kind, row.client_name, row.client_version) for row in McpSession.objects.all()}
    assert kept == {("session", "pytestclient", "1"), ("connection", "pytestclient", "1")}
