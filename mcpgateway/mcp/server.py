"""The gateway's MCP server: the SDK's `MCPServer`, its tools, and who may see and call each tool.

`build_server()` is the one place the server is put together; the bridge (mcpgateway.mcp.bridge)
builds one per event loop. Tool modules plug in through `mcpgateway.mcp.tools.register_tools(server)`
and declare what a tool needs with `tool_requires(...)` (see docs/mcp-endpoint.md).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.request_state import RequestStateSecurity
from mcp_types import CallToolResult, ListToolsResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from mcpgateway.mcp.context import current_epoch, current_principal, current_principal_or_none, current_session_id

logger = logging.getLogger(__name__)

SERVER_NAME = "spotify-mcp-gateway"
INSTRUCTIONS = (
    "Controls the Spotify account of the person who connected this client: search the catalog, "
    "read and control playback, manage the queue, playlists and library."
)


@dataclass(frozen=True)
class ToolRequirement:
    """What a tool needs: gateway scopes on the credential and Spotify scopes on the person's grant."""

    gateway_scopes: frozenset[str] = frozenset()
    spotify_scopes: frozenset[str] = frozenset()


@dataclass
class ToolAccess:
    """Per-server registry of tool requirements, enforced by `ToolAccessMiddleware`."""

    requirements: dict[str, ToolRequirement] = field(default_factory=dict)

    def missing(self, name: str, *, gateway_scopes: frozenset[str], spotify_scopes: frozenset[str] | None) -> str | None:
        """Why this caller may not use tool `name`, or None when it may.

        `spotify_scopes` None means the person has no Spotify grant: tools are then listed and
        answer themselves with how to connect Spotify (a tool result, not a hidden tool).
        """
        requirement = self.requirements.get(name)
        if requirement is None:
            return None
        lacking = requirement.gateway_scopes - gateway_scopes
        if lacking:
            return (
                f"This token does not have the gateway scope {', '.join(sorted(lacking))} that this tool needs. "
                f"Create a token with it at {settings.PUBLIC_BASE_URL}/."
            )
        if spotify_scopes is not None:
            lacking = requirement.spotify_scopes - spotify_scopes
            if lacking:
                return (
                    f"Your Spotify connection does not allow {', '.join(sorted(lacking))}, which this tool needs. "
                    f"Reconnect Spotify at {settings.PUBLIC_BASE_URL}/."
                )
        return None

    @property
    def needs_spotify_scopes(self) -> bool:
        return any(r.spotify_scopes for r in self.requirements.values())


def tool_access(server: MCPServer) -> ToolAccess:
    access = getattr(server, "_gateway_tool_access", None)
    if access is None:
        access = ToolAccess()
        server._gateway_tool_access = access  # type: ignore[attr-defined]
    return access


def tool_requires(
    server: MCPServer, name: str, *, gateway_scopes: set[str] | frozenset[str] = frozenset(),
    spotify_scopes: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Declare what tool `name` needs; a caller without it neither sees nor can call the tool."""
    tool_access(server).requirements[name] = ToolRequirement(frozenset(gateway_scopes), frozenset(spotify_scopes))


async def _spotify_scopes(ctx: Any, user_id: int) -> frozenset[str] | None:
    from mcpgateway.spotify.selectors import grant_for_user_cached

    grant = await grant_for_user_cached(user_id=user_id, epoch=current_epoch(ctx))
    return None if grant is None else grant.scope_set


class ToolAccessMiddleware:
    """Hides from `tools/list` and refuses on `tools/call` what the caller's scopes do not allow."""

    def __init__(self, access: ToolAccess):
        self.access = access

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method not in ("tools/list", "tools/call") or not self.access.requirements:
            return await call_next(ctx)
        principal = current_principal_or_none(ctx)
        if principal is None:
            return await call_next(ctx)
        spotify = await _spotify_scopes(ctx, principal.user_id) if self.access.needs_spotify_scopes else None

        def refusal(name: str) -> str | None:
            return self.access.missing(name, gateway_scopes=principal.scopes, spotify_scopes=spotify)

        if ctx.method == "tools/call":
            name = (ctx.params or {}).get("name")
            reason = refusal(name) if isinstance(name, str) else None
            if reason is not None:
                return CallToolResult(content=[TextContent(type="text", text=reason)], is_error=True)
            return await call_next(ctx)

        result = await call_next(ctx)
        if isinstance(result, ListToolsResult):
            return result.model_copy(update={"tools": [t for t in result.tools if refusal(t.name) is None]})
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            return {**result, "tools": [t for t in result["tools"] if refusal(t.get("name", "")) is None]}
        return result


class GatewayIdentity(BaseModel):
    username: str = Field(description="The gateway account this client acts for.")
    scopes: list[str] = Field(description="Gateway scopes of the credential in use.")
    credential: str = Field(description="Kind of credential in use: a personal access token or OAuth.")
    session_id: str | None = Field(description="The gateway's id for this client session or connection.")


def get_gateway_identity(ctx: Context) -> GatewayIdentity:
    """Tell which gateway account and permissions this connection uses. Call it when the person asks
    who they are connected as, or to explain why a Spotify tool is missing (a scope not granted)."""
    principal = current_principal(ctx)
    return GatewayIdentity(
        username=principal.username,
        scopes=sorted(principal.scopes),
        credential="personal access token" if principal.kind == "pat" else principal.kind,
        session_id=current_session_id(ctx),
    )


def request_state_security() -> RequestStateSecurity:
    """Sealed `requestState` (2026-07-28 multi-round-trip tools) must open on any worker: one key
    derived from SECRET_KEY for all of them, bound to the user the state was minted for."""
    key = hashlib.sha256(f"mcp-request-state:{settings.SECRET_KEY}".encode()).hexdigest()

    def bind_principal(ctx: ServerRequestContext[Any, Any]) -> str | None:
        principal = current_principal_or_none(ctx)
        return None if principal is None else f"user:{principal.user_id}"

    return RequestStateSecurity(keys=[key], bind_principal=bind_principal, audience=SERVER_NAME)


def build_server() -> MCPServer:
    access = ToolAccess()
    server = MCPServer(
        SERVER_NAME,
        title="Spotify MCP gateway",
        instructions=INSTRUCTIONS,
        website_url=settings.PUBLIC_BASE_URL,
        request_state_security=request_state_security(),
        middleware=[ToolAccessMiddleware(access)],
    )
    server._gateway_tool_access = access  # type: ignore[attr-defined]
    server.add_tool(
        get_gateway_identity,
        annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    )
    try:
        tools = importlib.import_module("mcpgateway.mcp.tools")
    except ModuleNotFoundError as exc:
        if exc.name != "mcpgateway.mcp.tools":
            raise
    else:
        register_tools = getattr(tools, "register_tools", None)
        if register_tools is None:
            logger.warning("mcpgateway.mcp.tools has no register_tools(server): no Spotify tools are served")
        else:
            register_tools(server)
    return server
