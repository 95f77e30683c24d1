"""The django-ninja API of the MCP endpoint: /mcp itself and the protected-resource metadata."""

import logging
import os

from django.conf import settings
from ninja import NinjaAPI

from mcpgateway.mcp.bridge import McpEndpoint, jsonrpc_error
from mcpgateway.mcp.server import build_server
from mcpgateway.mcp.wellknown import protected_resource_metadata

logger = logging.getLogger(__name__)

api = NinjaAPI(urls_namespace="mcp", docs_url=None, openapi_url=None, title="MCP endpoint")
endpoint = McpEndpoint(build_server)


@api.exception_handler(Exception)
def internal_error(request, exc):
    # Never a traceback or Django's HTML error page to an MCP client.
    logger.exception("Unexpected error on %s", request.path)
    return jsonrpc_error(500, -32603, "Internal error")


# Every method reaches the bridge, so even a PUT is answered in JSON, not by Django's HTML 405.
HTTP_METHODS = ["POST", "GET", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]


@api.api_operation(HTTP_METHODS, "/mcp", include_in_schema=False)
async def mcp(request):
    """MCP Streamable HTTP (2025-11-25 and 2026-07-28) for the signed-in person's Spotify."""
    return await endpoint.handle(request)


api.get("/.well-known/oauth-protected-resource/mcp", include_in_schema=False)(protected_resource_metadata)
api.get("/.well-known/oauth-protected-resource", include_in_schema=False)(protected_resource_metadata)

if settings.MCP_CONFORMANCE_FIXTURE:
    # Test-only: the official conformance suite's fixture server, through the very same bridge.
    from tests.conformance.fixture_server import build_fixture_server

    # The suite sends no token: with MCP_CONFORMANCE_TOKEN set, requests act as that token's owner
    # and go through gateway sessions like any client; without it they are unauthenticated.
    _fixture_token = os.environ.get("MCP_CONFORMANCE_TOKEN")
    fixture_endpoint = McpEndpoint(build_fixture_server, authenticate=bool(_fixture_token), fallback_token=_fixture_token)

    @api.api_operation(HTTP_METHODS, "/mcp-conformance", include_in_schema=False)
    async def mcp_conformance(request):
        return await fixture_endpoint.handle(request)
