"""The HTTP replies /mcp writes itself (the SDK writes the rest): JSON-RPC error bodies with the
status the MCP transport spec names, and the OAuth challenges (RFC 6750 §3, RFC 9728).

MCP clients parse every error as JSON-RPC, so none of these is ever Django's HTML.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from mcp_types import INTERNAL_ERROR, INVALID_REQUEST

from mcpgateway.mcp.access import dashboard_url

AUTH_REQUIRED = -32000  # the error code MCP clients recognise as "authenticate first"


def jsonrpc_error(
    status: int, code: int, message: str, *, data: Any = None, headers: dict[str, str] | None = None, request_id: Any = None
) -> HttpResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    body = json.dumps({"jsonrpc": "2.0", "error": error, "id": request_id}, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type="application/json")
    response["Content-Length"] = str(len(body))
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def internal_error() -> HttpResponse:
    return jsonrpc_error(500, INTERNAL_ERROR, "Internal error")


def resource_metadata_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}/.well-known/oauth-protected-resource/mcp"


def authentication_required(scopes: frozenset[str], request_id: Any) -> HttpResponse:
    """RFC 6750 §3 challenge pointing at the RFC 9728 metadata and naming the scopes to request (MCP
    authorization spec, "Protected Resource Metadata Discovery Requirements" and "Scope Selection
    Strategy": without them a client asks for every scope the metadata lists)."""
    challenge = f'Bearer resource_metadata="{resource_metadata_url()}"'
    if scopes:
        challenge += f', scope="{" ".join(sorted(scopes))}"'
    return jsonrpc_error(
        401, AUTH_REQUIRED, "Authentication required", data={"authUrl": dashboard_url()}, request_id=request_id,
        headers={"WWW-Authenticate": challenge},
    )


def request_id_of(message: Any) -> str | int | None:
    """The id of a decoded JSON-RPC request, for the error that answers it; None (JSON `null`) for a
    body that does not parse or has no valid id (JSON-RPC 2.0 §5)."""
    request_id = message.get("id") if isinstance(message, dict) else None
    return request_id if isinstance(request_id, (str, int)) and not isinstance(request_id, bool) else None


def insufficient_scope(scopes: frozenset[str], message: str, request_id: Any) -> HttpResponse:
    """RFC 6750 §3.1: the token is good but lacks a scope this call needs; MCP clients re-authorize
    for it (MCP authorization spec, "Scope challenge handling")."""
    scope = " ".join(sorted(scopes))
    return jsonrpc_error(
        403, INVALID_REQUEST, message, request_id=request_id,
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}", resource_metadata="{resource_metadata_url()}"'},
    )


def session_not_found() -> HttpResponse:
    return jsonrpc_error(404, INVALID_REQUEST, "Session not found")


def session_id_missing() -> HttpResponse:
    return jsonrpc_error(400, INVALID_REQUEST, "Bad Request: Missing session ID")


def method_not_allowed() -> HttpResponse:
    return jsonrpc_error(405, INVALID_REQUEST, "Method not allowed", headers={"Allow": "GET, POST, DELETE"})


def body_too_large(limit: int) -> HttpResponse:
    return jsonrpc_error(413, INVALID_REQUEST, f"Request body too large (limit {limit} bytes)")


def no_get_stream() -> HttpResponse:
    """The gateway offers no standalone SSE stream (2025-11-25 §Listening for Messages allows 405)."""
    response = bodiless(405)
    response["Allow"] = "POST, DELETE"
    return response


def bodiless(status: int) -> HttpResponse:
    """A reply without a body, and so without the `text/html` Content-Type Django would add."""
    response = HttpResponse(status=status)
    del response["Content-Type"]
    return response


_PLAIN_ERRORS = {400: INVALID_REQUEST, 403: INVALID_REQUEST, 404: INVALID_REQUEST, 406: INVALID_REQUEST,
                 413: INVALID_REQUEST, 415: INVALID_REQUEST, 421: INVALID_REQUEST}


def sdk_reply(status: int, headers: list[tuple[str, str]], body: bytes) -> HttpResponse:
    """A complete (non-streamed) reply of the SDK as a Django response."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    if status >= 400 and body and not (content_type or "").startswith("application/json"):
        # The SDK answers some checks in plain text ("Invalid Content-Type header"); MCP clients
        # expect a JSON-RPC error body with the same status.
        message = body.decode("utf-8", "replace")[:200]
        return jsonrpc_error(status, _PLAIN_ERRORS.get(status, INTERNAL_ERROR), message,
                             headers={k: v for k, v in headers if k.lower() == "allow"})
    response = HttpResponse(body, status=status)
    if content_type is None:
        del response["Content-Type"]  # Django would otherwise label a bodiless 202/405 as text/html
    for name, value in headers:
        response[name] = value
    return response
