"""The django-ninja API of the MCP handler (mcpgateway.mcp.handler): /mcp, and any further MCP
endpoint a settings module names in MCP_EXTRA_ENDPOINTS (path -> dotted path of an object with
`async handle(request)`, such as an `McpEndpoint`; the test settings mount the conformance suite's
fixture server that way). The RFC 9728 metadata of /mcp is in ROOT_URLCONF (mcpgateway.mcp.wellknown).
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string
from mcp_types import INTERNAL_ERROR
from ninja import NinjaAPI

from mcpgateway.core.database_outage import MESSAGE as DATABASE_UNAVAILABLE
from mcpgateway.core.database_outage import is_database_outage, note_outage, unavailable
from mcpgateway.mcp.bridge import McpEndpoint
from mcpgateway.mcp.handler import recycle_connections_soon
from mcpgateway.mcp.responses import internal_error, jsonrpc_error
from mcpgateway.mcp.server import build_server
from mcpgateway.mcp.tools import TOOL_REQUIREMENTS

logger = logging.getLogger(__name__)

api = NinjaAPI(urls_namespace="mcp", docs_url=None, openapi_url=None, title="MCP endpoint")
endpoint = McpEndpoint(build_server, tool_requirements=TOOL_REQUIREMENTS)


@api.exception_handler(Exception)
def unexpected_error(request, exc):
    # Never a traceback or Django's HTML error page to an MCP client.
    if is_database_outage(exc):
        note_outage(request, exc)
        recycle_connections_soon()  # the broken connection goes before the next request, not in 30 s
        return unavailable(jsonrpc_error(503, INTERNAL_ERROR, DATABASE_UNAVAILABLE))
    logger.exception("Unexpected error on %s", request.path)
    return internal_error()


# Every method reaches the bridge, so even a PUT is answered in JSON, not by Django's HTML 405.
HTTP_METHODS = ["POST", "GET", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]


@api.api_operation(HTTP_METHODS, "/mcp", include_in_schema=False)
async def mcp(request):
    """MCP Streamable HTTP (2025-11-25 and 2026-07-28) for the signed-in person's Spotify."""
    return await endpoint.handle(request)


def _mount(path: str, extra_endpoint) -> None:
    async def serve(request):
        return await extra_endpoint.handle(request)

    api.api_operation(HTTP_METHODS, path, include_in_schema=False, url_name=f"mcp{path.replace('/', '-')}")(serve)


EXTRA_ENDPOINTS: dict[str, str] = getattr(settings, "MCP_EXTRA_ENDPOINTS", {})
for _path, _dotted_path in EXTRA_ENDPOINTS.items():
    _mount(_path, import_string(_dotted_path))

# What config/asgi.py hands to the MCP handler.
MCP_PATHS = frozenset({"/mcp", *EXTRA_ENDPOINTS})
