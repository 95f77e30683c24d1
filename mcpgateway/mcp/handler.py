"""The ASGI application of /mcp (and of MCP_EXTRA_ENDPOINTS): the hot path, kept lean.

It does what Django's ASGIHandler does for a request, minus what /mcp does not need:
- routing: a path resolves once against `mcpgateway.mcp.urls` (the django-ninja API of /mcp
  alone, never ROOT_URLCONF) and the match is kept; the ninja view is called directly, and its
  exception handlers (mcpgateway.mcp.api) answer for whatever the endpoint raises;
- settings.MIDDLEWARE: sessions, CSRF, messages, ... are sync-capable `MiddlewareMixin` classes;
  under ASGI each costs a thread hop per request, and /mcp uses none of them (bearer tokens, no
  cookies, no templates);
- a `ThreadSensitiveContext` per request: it gives every request a new thread for its first piece
  of synchronous code. Here thread-sensitive code (the rare ORM query the caches miss) runs in the
  process's one sync thread, which also keeps its database connection between requests;
- the request_started / request_finished signals: their receivers are synchronous (each send is a
  thread hop). Their work is done here instead: `close_old_connections` runs in that sync thread
  at most every CONNECTION_RECYCLE_SECONDS, honouring CONN_MAX_AGE and CONN_HEALTH_CHECKS;
- the spooled temporary file Django reads a body into: the body is already bounded by
  MCP_MAX_REQUEST_BODY_BYTES (below), so it is kept as bytes.

What stays as in Django: an `ASGIRequest` for the endpoint, a disconnect listener that cancels the
view when the client goes away, the response sent as Django would (streamed replies chunk by
chunk), its resource closers run at the end.

What it adds: header values without the whitespace around them (RFC 9110 §5.5: "a field value does
not include leading or trailing whitespace"). uvicorn's httptools parser passes it on; the SDK
compares `Mcp-Name`, `Mcp-Method` and `MCP-Protocol-Version` with the body byte for byte, and the
gateway's session tracking reads them too, so every reader gets the trimmed value from here.

What it adds: the body is read within MCP_MAX_REQUEST_BODY_BYTES and REQUEST_BODY_TIMEOUT_SECONDS
(mcpgateway.core.request_body), refused with a JSON-RPC error before any more of it is read.

bench/mcp_calls.py measures this path against a bare SDK server; the README says where the time goes.
"""

import asyncio
import io
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIRequest, get_script_prefix
from django.db import close_old_connections
from django.urls import Resolver404, ResolverMatch, resolve, set_script_prefix
from mcp_types import INVALID_REQUEST

from mcpgateway.core.asgi_responses import send_response
from mcpgateway.core.request_body import RequestBodyLimits
from mcpgateway.mcp.responses import internal_error, jsonrpc_error
from mcpgateway.mcp.transport_security import body_refusal

logger = logging.getLogger(__name__)

CONNECTION_RECYCLE_SECONDS = 30.0
MCP_URLCONF = "mcpgateway.mcp.urls"
# Set when a request met a database error: the next request closes the broken connection first
# (Django opens a new one), instead of failing on it until the next periodic recycle.
_recycle_now = False


def recycle_connections_soon() -> None:
    global _recycle_now
    _recycle_now = True


class McpASGIHandler:
    def __init__(self):
        self._connections_checked_at = time.monotonic()
        self._routes: dict[str, ResolverMatch] = {}
        self._bounded_handle = RequestBodyLimits(
            self.handle, max_bytes=lambda: settings.MCP_MAX_REQUEST_BODY_BYTES, refusal=body_refusal
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"/mcp serves HTTP only, not {scope['type']}")
        await self._bounded_handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        scope = {**scope, "headers": [(name, value.strip(b" \t")) for name, value in scope["headers"]]}
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before its body arrived
        prefix = get_script_prefix(scope)
        if prefix != "/":
            set_script_prefix(prefix)
        await self._recycle_connections()
        try:
            request = ASGIRequest(scope, io.BytesIO(body))
        except UnicodeDecodeError:
            await send_response(send, jsonrpc_error(400, INVALID_REQUEST, "The request's path or headers are not valid UTF-8"))
            return
        match = self._route(request.path_info)
        if match is None:
            await send_response(send, jsonrpc_error(404, INVALID_REQUEST, "Not found"))
            return
        request.resolver_match = match

        class RequestProcessed(Exception):
            pass

        response = None
        try:
            try:
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(_listen_for_disconnect(receive))
                    response = await self._respond(match, request)
                    await send_response(send, response)
                    raise RequestProcessed
            except* (RequestProcessed, RequestAborted):
                pass
        except BaseExceptionGroup as exception_group:
            if len(exception_group.exceptions) == 1:
                raise exception_group.exceptions[0]
            raise
        if response is not None:
            # response.close() minus its request_finished signal (see the module docstring).
            for closer in response._resource_closers:
                closer()

    def _route(self, path: str) -> ResolverMatch | None:
        match = self._routes.get(path)
        if match is None:
            try:
                match = resolve(path, urlconf=MCP_URLCONF)
            except Resolver404:
                return None
            self._routes[path] = match
        return match

    async def _respond(self, match: ResolverMatch, request):
        try:
            return await match.func(request, *match.args, **match.kwargs)
        except Exception:
            # The ninja API's own handlers answer for the endpoint; this is for what escapes them.
            logger.exception("Unexpected error on %s", request.path)
            return internal_error()

    async def _recycle_connections(self) -> None:
        global _recycle_now
        now = time.monotonic()
        if _recycle_now or now - self._connections_checked_at >= CONNECTION_RECYCLE_SECONDS:
            self._connections_checked_at = now
            _recycle_now = False
            await sync_to_async(close_old_connections)()


async def _read_body(receive) -> bytes | None:
    """The whole body (RequestBodyLimits has bounded it), or None when the client disconnected."""
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        if message["type"] == "http.request":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                return parts[0] if len(parts) == 1 else b"".join(parts)


async def _listen_for_disconnect(receive) -> None:
    """Ends the request (the TaskGroup cancels the view) when the client goes away."""
    message = await receive()
    if message["type"] == "http.disconnect":
        raise RequestAborted()
    raise AssertionError(f"Invalid ASGI message after request body: {message['type']}")
