"""The bridge from a Django request on /mcp to the `mcp` SDK: one `McpEndpoint` serves both protocol
eras (2025-11-25 and 2026-07-28) on one URL.

A request passes, in order: the transport checks (Host, Origin, method, body size), bearer
authentication (a token of the REST API's scope only is refused here), the gateway's session tracking, the OAuth scope challenge, and then the SDK
(docs/mcp-endpoint.md, "The path of a request"). Each step lives in a module of its own; this one
only puts them in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from mcp.server.mcpserver import MCPServer

from mcpgateway.audit.tool_calls import tool_call_refused
from mcpgateway.core.metrics import MCP_REQUESTS, mcp_method_label
from mcpgateway.core.revocation import current_revocation_epoch
from mcpgateway.mcp.access import NO_REQUIREMENT, Refusal, ToolRequirement, mcp_access, tool_access
from mcpgateway.mcp.auth import Principal, authenticate_bearer, bearer_token
from mcpgateway.mcp.context import SCOPE_CLIENT_NAME, SCOPE_SESSION_ID, authenticated_scope
from mcpgateway.mcp.responses import (
    authentication_required,
    body_too_large,
    insufficient_scope,
    method_not_allowed,
    request_id_of,
)
from mcpgateway.mcp.runtime import SdkRuntime
from mcpgateway.mcp.selectors import tool_restrictions_cached
from mcpgateway.mcp.session_tracking import track_request
from mcpgateway.mcp.streams import StreamGuard
from mcpgateway.mcp.transport_security import body_within_limit, host_and_origin_problem


class McpEndpoint:
    """Serves one MCP server (built by `server_factory`) to authenticated clients.

    `tool_requirements`: what each tool of that server needs, for the OAuth scope challenge (the
    server's own `ToolAccessMiddleware` enforces the same requirements on tools/list and tools/call).
    """

    def __init__(self, server_factory: Callable[[], MCPServer], *, tool_requirements: Mapping[str, ToolRequirement] | None = None):
        self.runtime = SdkRuntime(server_factory)
        self.tool_requirements = tool_requirements or {}
        # What the 401 challenge tells a client to ask for: what the tools need, not every scope.
        self.challenge_scopes = frozenset().union(*(r.gateway_scopes for r in self.tool_requirements.values()))

    def bearer_token(self, request: HttpRequest) -> str | None:
        return bearer_token(request.headers.get("Authorization", ""))

    async def handle(self, request: HttpRequest) -> HttpResponse:
        response = await self._serve(request)
        # A counter, no more: this is the hot path (mcpgateway.core.metrics).
        MCP_REQUESTS.labels(getattr(request, "mcp_method_label", "none"), str(response.status_code)).inc()
        return response

    async def _serve(self, request: HttpRequest) -> HttpResponse:
        problem = host_and_origin_problem(request)
        if problem is not None:
            return problem
        if request.method not in ("POST", "GET", "DELETE"):
            return method_not_allowed()
        body = body_within_limit(request)
        if body is None:
            return body_too_large(settings.MCP_MAX_REQUEST_BODY_BYTES)

        message = _decode(body)
        request.mcp_method_label = mcp_method_label(message)
        # One read of the revocation epoch serves every cache this request consults.
        epoch = await current_revocation_epoch()
        token = self.bearer_token(request)
        principal = await authenticate_bearer(token, epoch=epoch) if token else None
        if principal is None:
            return authentication_required(self.challenge_scopes, request_id_of(message))
        refused = mcp_access(principal)
        if refused is not None:
            return insufficient_scope(refused.lacking, refused.message, request_id_of(message))

        tracking = await track_request(request=request, principal=principal, message=message, epoch=epoch)
        if tracking.revoked:
            return authentication_required(self.challenge_scopes, request_id_of(message))
        if tracking.reply is not None:
            return tracking.reply
        if principal.kind == "oauth" and request.method == "POST":
            # OAuth clients can step up, so a call beyond their scopes is an HTTP 403 challenge
            # (personal access tokens get the tool-result explanation of ToolAccessMiddleware).
            refused = await self._scope_challenge(principal, message, epoch)
            if refused is not None:
                tool_call_refused(principal=principal, message=message, reason="insufficient_scope", scope=request.scope,
                                  client_name=tracking.client_name, session_id=tracking.session_id)
                return refused

        scope = authenticated_scope(request.scope, principal=principal, epoch=epoch)
        if tracking.session_id is not None:
            scope[SCOPE_SESSION_ID] = tracking.session_id
        scope[SCOPE_CLIENT_NAME] = tracking.client_name
        return await self.runtime.forward(scope, body, tracking.on_response_start, self._stream_guard(token, principal, message, epoch))

    async def _scope_challenge(self, principal: Principal, message: Any, epoch: str) -> HttpResponse | None:
        if not isinstance(message, dict) or message.get("method") != "tools/call" or not isinstance(message.get("params"), dict):
            return None
        name = message["params"].get("name")
        if not isinstance(name, str):
            return None
        # Spotify scopes are not the client's to step up, nor an administrator's restriction: those
        # refusals stay tool results (ToolAccessMiddleware).
        restrictions = await tool_restrictions_cached(user_id=principal.user_id, epoch=epoch)
        requirement = self.tool_requirements.get(name, NO_REQUIREMENT)
        decision = tool_access(principal, None, requirement, tool=name, restrictions=restrictions)
        if isinstance(decision, Refusal) and decision.reason == "gateway_scope":
            return insufficient_scope(decision.lacking, decision.message, request_id_of(message))
        return None

    def _stream_guard(self, token: str, principal: Principal, message: Any, epoch: str) -> StreamGuard:
        """Ends a reply in flight when its credential is revoked (mcpgateway.mcp.streams)."""
        seen = epoch

        async def still_valid() -> bool:
            nonlocal seen
            now = await current_revocation_epoch()
            if now == seen:
                return True
            current = await authenticate_bearer(token, epoch=now)
            if current is None or current.credential_id != principal.credential_id:
                return False
            seen = now
            return True

        return StreamGuard(credential_id=principal.credential_id, user_id=principal.user_id,
                           request_id=request_id_of(message), still_valid=still_valid,
                           refusal=lambda: authentication_required(self.challenge_scopes, request_id_of(message)))


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
