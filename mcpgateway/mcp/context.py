"""What tool code can learn about the request it serves: who it acts for and through which session.

The bridge puts both in the ASGI scope of the request it hands to the SDK; the SDK exposes that
request to handlers as `ctx.request_context.request` (a Starlette `Request`), just as its own auth
middleware exposes `scope["user"]`.
"""

from __future__ import annotations

from typing import Any

from mcpgateway.mcp.auth import Principal

# Keys of the ASGI scope the bridge fills for every authenticated /mcp request.
SCOPE_PRINCIPAL = "mcpgateway.principal"
SCOPE_SESSION_ID = "mcpgateway.session_id"  # the McpSession row (UUID string): a session or a connection
SCOPE_EPOCH = "mcpgateway.revocation_epoch"  # read once per request (mcpgateway.revocation)


class NoPrincipal(LookupError):
    """The request was not authenticated by the gateway (a bug: /mcp authenticates every request)."""


def _scope(ctx: Any) -> dict[str, Any]:
    # Accept the MCPServer `Context` (tools) and the low-level `ServerRequestContext` (middleware).
    request_context = getattr(ctx, "request_context", ctx)
    request = getattr(request_context, "request", None)
    scope = getattr(request, "scope", None)
    return scope if isinstance(scope, dict) else {}


def current_principal(ctx: Any) -> Principal:
    """The principal of the request a tool (or server middleware) is serving."""
    principal = _scope(ctx).get(SCOPE_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise NoPrincipal("This MCP request carries no gateway principal.")
    return principal


def current_principal_or_none(ctx: Any) -> Principal | None:
    principal = _scope(ctx).get(SCOPE_PRINCIPAL)
    return principal if isinstance(principal, Principal) else None


def current_session_id(ctx: Any) -> str | None:
    """The id of the McpSession row this request belongs to (None on the conformance fixture)."""
    return _scope(ctx).get(SCOPE_SESSION_ID)


def current_epoch(ctx: Any) -> str | None:
    """The revocation epoch the bridge read for this request (None outside the bridge)."""
    return _scope(ctx).get(SCOPE_EPOCH)
