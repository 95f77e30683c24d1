"""/metrics: off by default, then only with METRICS_TOKEN and/or from METRICS_ALLOWED_NETWORKS
(mcpgateway.core.metrics_endpoint), served through the real ASGI entry point (config/asgi.py)."""

from __future__ import annotations

import ipaddress

import pytest
from asgiref.sync import async_to_sync
from prometheus_client.parser import text_string_to_metric_families

from config.asgi import application
from mcpgateway.core.metrics import HTTP_REQUESTS, mcp_method_label, tool_label

pytestmark = pytest.mark.django_db(transaction=True)


def get(path: str = "/metrics", *, client: str = "10.1.2.3", headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
             "scheme": "http", "query_string": b"", "server": ("10.0.0.1", 8000), "client": (client, 50000),
             "headers": [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]}
    answer: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], dict(message["headers"])
        else:
            answer["body"] += message.get("body", b"")

    async_to_sync(application)(scope, receive, send)
    return answer["status"], answer["headers"], answer["body"]


def test_metrics_are_off_until_a_token_or_networks_are_set(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    status, _headers, body = get()
    assert status == 404 and b"METRICS_TOKEN or METRICS_ALLOWED_NETWORKS" in body


def test_the_token_is_required_when_set(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "the-scrape-token", []
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic the-scrape-token"}, {"Authorization": "Bearer the-scrape-token-and-more"}):
        status, _headers, body = get(headers=headers)
        assert status == 403 and b"METRICS_TOKEN" in body, headers
    status, headers, body = get(headers={"Authorization": "Bearer the-scrape-token"})
    assert status == 200 and headers[b"content-type"].startswith(b"text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(body.decode())}
    assert {"gateway_http_requests", "gateway_mcp_live_sessions", "gateway_mcp_tool_calls"} <= names


def test_only_allowed_networks_may_scrape_when_set(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", [ipaddress.ip_network("10.0.0.0/8")]
    assert get(client="10.9.9.9")[0] == 200
    status, _headers, body = get(client="192.0.2.1")
    assert status == 403 and b"METRICS_ALLOWED_NETWORKS" in body


def test_with_both_a_scrape_needs_both(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "the-scrape-token", [ipaddress.ip_network("10.0.0.0/8")]
    assert get(client="192.0.2.1", headers={"Authorization": "Bearer the-scrape-token"})[0] == 403
    assert get(client="10.9.9.9")[0] == 403
    assert get(client="10.9.9.9", headers={"Authorization": "Bearer the-scrape-token"})[0] == 200


def test_live_sessions_are_counted_from_the_database(settings, person):
    from mcpgateway.mcp.models import McpSession

    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "t", []
    McpSession.objects.create(user=person, kind=McpSession.Kind.SESSION)
    McpSession.objects.create(user=person, kind=McpSession.Kind.CONNECTION)
    McpSession.objects.create(user=person, kind=McpSession.Kind.SESSION, ended_at="2026-01-01T00:00:00Z")
    body = get(headers={"Authorization": "Bearer t"})[2].decode()
    assert 'gateway_mcp_live_sessions{kind="session"} 1.0' in body
    assert 'gateway_mcp_live_sessions{kind="connection"} 1.0' in body


def test_a_site_request_is_counted_by_its_route_not_its_path(client):
    client.get("/accounts/invitation/not-a-real-invitation-token")
    routes = {route for route, _method, _status in HTTP_REQUESTS._metrics}
    assert "/accounts/invitation/<str:token>" in routes and not any("not-a-real" in route for route in routes), routes


def test_labels_are_fixed_sets_not_what_a_client_sent():
    assert mcp_method_label({"jsonrpc": "2.0", "id": 1, "method": "tools/call"}) == "tools/call"
    assert mcp_method_label({"jsonrpc": "2.0", "id": 1, "method": "x" * 500}) == "other"
    assert mcp_method_label([{"method": "ping"}]) == "batch"
    assert mcp_method_label(None) == "none"
    assert tool_label("search") == "search" and tool_label("get_gateway_identity") == "get_gateway_identity"
    assert tool_label("no_such_tool_" + "x" * 100) == "unknown" and tool_label(42) == "unknown"
