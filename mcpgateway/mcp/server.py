"""The gateway's MCP server: the SDK's `MCPServer`, its tools, and the middleware that lets each
caller see and call only the tools its scopes allow (mcpgateway.mcp.access).

`build_server()` is the one place the server is put together; the SDK runtime
(mcpgateway.mcp.runtime) builds one per event loop. The Spotify tools come from
`mcpgateway.mcp.tools` (see docs/mcp-endpoint.md, "For tool code").
"""

from __future__ import annotations

import hashlib
import tomllib
from typing import Any

from django.conf import settings
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.request_state import RequestStateSecurity
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from mcpgateway.audit.tool_calls import ToolCallAuditMiddleware
from mcpgateway.core.metrics import tool_names_register
from mcpgateway.mcp.access import ToolAccessMiddleware
from mcpgateway.mcp.context import current_principal, current_principal_or_none, current_session_id
from mcpgateway.mcp.tools import TOOL_REQUIREMENTS, register_tools

SERVER_NAME = "spotify-mcp-gateway"


def _project_version() -> str:
    """pyproject.toml's [project] version. The project is not installed (`[tool.uv] package = false`),
    so there is no distribution metadata to ask: the file is read once, at import."""
    with open(settings.BASE_DIR / "pyproject.toml", "rb") as pyproject:
        return tomllib.load(pyproject)["project"]["version"]


SERVER_VERSION = _project_version()  # serverInfo.version in both eras
INSTRUCTIONS = (
    "Controls the Spotify account of the person who connected this client: search the catalog, "
    "read and control playback, manage the queue, playlists and library."
)


class GatewayIdentity(BaseModel):
    username: str = Field(description="The gateway account this client acts for.")
    scopes: list[str] = Field(description="Gateway scopes of the credential in use.")
    credential: str = Field(description="Kind of credential in use: a personal access token or OAuth.")
    session_id: str | None = Field(description="The gateway's id for this client session or connection.")


async def get_gateway_identity(ctx: Context) -> GatewayIdentity:
    """Tell which gateway account and permissions this connection uses. Call it when the person asks
    who they are connected as, or to explain why a Spotify tool is missing (a scope not granted)."""
    # async although it awaits nothing: the SDK runs a synchronous tool on a worker thread, a
    # thread hop per call for what is a few attribute reads.
    principal = current_principal(ctx)
    return GatewayIdentity(
        username=principal.username,
        scopes=sorted(principal.scopes),
        credential="personal access token" if principal.kind == "pat" else principal.kind,
        session_id=current_session_id(ctx),
    )


# The tools of the gateway itself, beside the Spotify ones (mcpgateway.mcp.tools.TOOLS); every tool
# name is a value of the metrics' `tool` label (mcpgateway.core.metrics).
GATEWAY_TOOL_NAMES = frozenset({get_gateway_identity.__name__})
tool_names_register(GATEWAY_TOOL_NAMES | set(TOOL_REQUIREMENTS))


def request_state_security() -> RequestStateSecurity:
    """Sealed `requestState` (2026-07-28 multi-round-trip tools) must open on any worker: one key
    derived from SECRET_KEY for all of them, bound to the user the state was minted for."""
    key = hashlib.sha256(f"mcp-request-state:{settings.SECRET_KEY}".encode()).hexdigest()

    def bind_principal(ctx: ServerRequestContext[Any, Any]) -> str | None:
        principal = current_principal_or_none(ctx)
        return None if principal is None else f"user:{principal.user_id}"

    return RequestStateSecurity(keys=[key], bind_principal=bind_principal, audience=SERVER_NAME)


# MCPServer registers these handlers whether or not it has prompts or resources, and so advertises
# both capabilities; the gateway has neither. A server declares what it serves (MCP 2025-11-25
# "Lifecycle", capability negotiation; 2026-07-28 server/discover), so they are taken out: clients
# see only `tools` and get -32601 for the rest. The SDK has no public way to drop a handler.
UNSERVED_METHODS = ("prompts/list", "prompts/get", "resources/list", "resources/templates/list", "resources/read")


def build_server() -> MCPServer:
    server = MCPServer(
        SERVER_NAME,
        title="Spotify MCP gateway",
        version=SERVER_VERSION,
        instructions=INSTRUCTIONS,
        website_url=settings.PUBLIC_BASE_URL,
        request_state_security=request_state_security(),
        # No subscriptions/listen: its in-process bus would reach only the listeners of one worker,
        # and the gateway never changes its tool list. Without it the 2026-07-28 capabilities claim
        # no listChanged either, like the 2025-11-25 ones.
        subscriptions=False,
        # Outermost first: the audit row times and records the access check's refusals too.
        middleware=[ToolCallAuditMiddleware(), ToolAccessMiddleware(TOOL_REQUIREMENTS)],
    )
    for method in UNSERVED_METHODS:
        server._lowlevel_server._request_handlers.pop(method)
    server.add_tool(
        get_gateway_identity,
        annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    )
    register_tools(server)
    return server
