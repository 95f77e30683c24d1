"""A 2025-11-25 request answered in one exchange, without the SDK's per-request transport.

The gateway runs the SDK in stateless mode (its sessions live in the database so that any worker
serves them: mcpgateway.mcp.session_tracking). For every 2025-11-25 request the SDK then builds a
streamable-HTTP transport, a JSON-RPC dispatcher, memory streams, a task group and an SSE response
(`StreamableHTTPSessionManager._handle_stateless_request`): the largest item of the gateway's extra
CPU per call (README, "MCP tool calls"). The SDK's own 2026-07-28 entry serves a request with
`serve_one` and none of that; this module does the same for the common 2025-11-25 case:

    a POST of one JSON-RPC request (not `initialize`), a 2025-11-25-era MCP-Protocol-Version,
    Content-Type application/json, accepting JSON and SSE, the endpoint in SSE mode.

It answers what the SDK's legacy transport answers: status 200, its SSE headers, one
`event: message` frame per notification of the request (progress, logs) and one for the response,
each message serialised as that transport serialises it; a handler's exception becomes the
JSON-RPC error the SDK's dispatcher makes of it. A reply with no notification before its response
leaves as one body with a Content-Length where the SDK's would be chunked: the same bytes, framed
by HTTP/1.1 either way. tests/mcpgateway/mcp/test_legacy_exchange.py
sends the same requests down both paths and compares the bytes, so an SDK upgrade that changes
the legacy wire shows there. Everything else (initialize, notifications, responses, batches, GET,
DELETE, a missing or unknown protocol version, bad bodies, JSON-response mode) takes the SDK's path.

The Host and Origin checks the SDK's transport repeats were made by the bridge already
(mcpgateway.mcp.transport_security), with the same ALLOWED_HOSTS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple

import anyio
import pydantic_core
from mcp.server.connection import Connection
from mcp.server.runner import serve_one
from mcp.server.streamable_http import CONTENT_TYPE_JSON, check_accept_headers
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data, progress_token_from_params
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import ErrorData, JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request

logger = logging.getLogger(__name__)

# What the SDK's legacy transport sends with an SSE reply (sse-starlette adds the last one).
SSE_HEADERS = [
    (b"cache-control", b"no-cache, no-transform"),
    (b"connection", b"keep-alive"),
    (b"content-type", b"text/event-stream"),
    (b"x-accel-buffering", b"no"),
]

Send = Callable[[dict], Awaitable[None]]


class SingleRequest(NamedTuple):
    message: JSONRPCRequest
    protocol_version: str
    http_request: Request  # the handlers' request context, as the SDK's transport gives it


def single_request(scope: dict, body: bytes, *, json_response: bool) -> SingleRequest | None:
    """The request, its protocol version and its HTTP request when this module can answer it; None
    for the SDK's path."""
    if json_response or scope.get("method") != "POST":
        return None
    http_request = Request(scope)
    headers = http_request.headers
    version = headers.get("mcp-protocol-version")
    if version not in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    content_type = headers.get("content-type", "").split(";")[0]
    if not any(part.strip() == CONTENT_TYPE_JSON for part in content_type.split(",")):
        return None
    has_json, has_sse = check_accept_headers(http_request)
    if not (has_json and has_sse):
        return None
    try:
        message = JSONRPCRequest.model_validate(pydantic_core.from_json(body), by_name=False)
    except ValueError:  # not JSON, not a request (a notification, a response, a batch), malformed
        return None
    if message.method == "initialize":
        return None
    return SingleRequest(message, version, http_request)


class _Exchange:
    """The dispatch context of one request: its notifications go out as frames of its reply, and
    it cannot send the client requests (stateless mode has no channel back, as in the SDK)."""

    can_send_request = False

    def __init__(self, request: JSONRPCRequest, http_request: Request, send_frame: Callable[[bytes], Awaitable[None]]):
        self.transport = TransportContext(kind="streamable-http", can_send_request=False)
        self.request_id = request.id
        self.message_metadata = ServerMessageMetadata(request_context=http_request, can_send_request=True)
        self.cancel_requested = anyio.Event()
        self._progress_token = progress_token_from_params(request.params)
        self._send_frame = send_frame
        self.closed = False

    async def send_raw_request(self, method: str, params: Mapping[str, Any] | None, opts: Any = None) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(self, method: str, params: Mapping[str, Any] | None, opts: Any = None) -> None:
        if self.closed:
            return  # the request has been answered (the SDK's dispatcher drops these too)
        await self._send_frame(sse_frame(JSONRPCNotification(jsonrpc="2.0", method=method, params=dict(params) if params is not None else None)))

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        if self._progress_token is None:
            return
        params: dict[str, Any] = {"progressToken": self._progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self.notify("notifications/progress", params)


async def answer(server: Any, single: SingleRequest, send: Send, *, lifespan_state: Any) -> None:
    """Serve the request with the SDK's `serve_one` and send the reply as the legacy transport would."""
    request = single.message
    await send({"type": "http.response.start", "status": 200, "headers": list(SSE_HEADERS)})

    async def send_frame(frame: bytes) -> None:
        await send({"type": "http.response.body", "body": frame, "more_body": True})

    exchange = _Exchange(request, single.http_request, send_frame)
    # Born ready, as the SDK's stateless path makes it: no initialize, the header's version.
    connection = Connection.from_envelope(single.protocol_version, None, None)
    try:
        result = await serve_one(server, exchange, request.method, request.params, connection=connection, lifespan_state=lifespan_state)
        reply: JSONRPCResponse | JSONRPCError = JSONRPCResponse(jsonrpc="2.0", id=request.id, result=result)
    except Exception as exc:  # noqa: BLE001 - the dispatcher's exception-to-wire boundary
        error = handler_exception_to_error_data(exc)
        if error is None:
            logger.exception("handler for %r raised", request.method)
            error = ErrorData(code=0, message=str(exc))  # what the SDK's dispatcher sends (its v1 compatibility)
        reply = JSONRPCError(jsonrpc="2.0", id=request.id, error=error)
    finally:
        exchange.closed = True
    await send({"type": "http.response.body", "body": sse_frame(reply), "more_body": False})


def sse_frame(message: JSONRPCResponse | JSONRPCError | JSONRPCNotification) -> bytes:
    """One `event: message` frame, the message serialised as the SDK's legacy transport does."""
    return b"event: message\r\ndata: " + message.model_dump_json(by_alias=True, exclude_unset=True).encode() + b"\r\n\r\n"
