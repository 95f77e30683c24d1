"""What tool code can learn about the request it serves: who it acts for and through which session.

The bridge puts both in the ASGI scope of the request it hands to the SDK (`authenticated_scope`);
the SDK exposes that request to handlers as `ctx.request_context.request` (a Starlette `Request`),
just as its own auth middleware exposes `scope["user"]`.
"""

from __future__ import annotations

from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import AuthCredentials

from mcpgateway.mcp.auth import Principal

# Keys of the ASGI scope the bridge fills for every authenticated /mcp request.
SCOPE_PRINCIPAL = "mcpgateway.principal"
SCOPE_SESSION_ID = "mcpgateway.session_id"  # the McpSession row (UUID string): a session or a connection
SCOPE_EPOCH = "mcpgateway.revocation_epoch"  # read once per request (mcpgateway.core.revocation)
SCOPE_CLIENT_NAME = "mcpgateway.client_name"  # what the session's client calls itself (for the audit trail)


def authenticated_scope(scope: dict[str, Any], *, principal: Principal, epoch: str) -> dict[str, Any]:
    """A copy of a request's ASGI scope carrying its principal and revocation epoch, for the SDK.

    Also the SDK's own `scope["user"]` (`AuthenticatedUser`: `client_id` the credential id, `subject`
    the user id), so its `get_access_token()` works in handlers.
    """
    return {
        **scope,
        SCOPE_PRINCIPAL: principal,
        SCOPE_EPOCH: epoch,
        "user": AuthenticatedUser(
            AccessToken(
                token="",  # never handed on: tool code has no use for the gateway credential
                client_id=principal.credential_id,
                scopes=sorted(principal.scopes),
                subject=str(principal.user_id),
                resource=principal.audience,
            )
        ),
        "auth": AuthCredentials(sorted(principal.scopes)),
    }


class NoPrincipal(LookupError):
    """The request was not authenticated by the gateway (a bug: /mcp authenticates every request)."""


def request_scope(ctx: Any) -> dict[str, Any]:
    """The ASGI scope of the request a tool (or server middleware) is serving ({} outside one)."""
    # Accept the MCPServer `Context` (tools) and the low-level `ServerRequestContext` (middleware).
    request_context = getattr(ctx, "request_context", ctx)
    request = getattr(request_context, "request", None)
    scope = getattr(request, "scope", None)
    return scope if isinstance(scope, dict) else {}


def current_principal(ctx: Any) -> Principal:
    """The principal of the request a tool (or server middleware) is serving."""
    principal = request_scope(ctx).get(SCOPE_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise NoPrincipal("This MCP request carries no gateway principal.")
    return principal


def current_principal_or_none(ctx: Any) -> Principal | None:
    principal = request_scope(ctx).get(SCOPE_PRINCIPAL)
    return principal if isinstance(principal, Principal) else None


def current_session_id(ctx: Any) -> str | None:
    """The id of the McpSession row this request belongs to (None outside a session or connection,
    e.g. a 2025-11-25 `initialize`)."""
    return request_scope(ctx).get(SCOPE_SESSION_ID)


def current_epoch(ctx: Any) -> str | None:
    """The revocation epoch the bridge read for this request (None outside the bridge)."""
    return request_scope(ctx).get(SCOPE_EPOCH)
