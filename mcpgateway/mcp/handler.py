"""A second Django ASGI handler for the MCP hot path: Django's URL routing, view dispatch,
exception-to-response conversion and request logging, without the per-request costs /mcp does not
need.

What it leaves out, and why:
- ROOT_URLCONF: requests resolve against `mcpgateway.mcp.urls`, the /mcp API alone.
- settings.MIDDLEWARE: sessions, CSRF, messages, ... are sync-capable `MiddlewareMixin` classes;
  under ASGI each costs a thread hop per request, and /mcp uses none of them (bearer tokens, no
  cookies, no templates).
- A `ThreadSensitiveContext` per request: it gives every request a new thread for its first piece
  of synchronous code. Here thread-sensitive code (the rare ORM query the caches miss) runs in the
  process's one sync thread, which also keeps its database connection between requests.
- The request_started / request_finished signals: their receivers are synchronous (each send is a
  thread hop). Their work is done here instead: `close_old_connections` runs in that sync thread
  at most every CONNECTION_RECYCLE_SECONDS, honouring CONN_MAX_AGE and CONN_HEALTH_CHECKS.

What it adds: header values without the whitespace around them (RFC 9110 §5.5: "a field value does
not include leading or trailing whitespace"). uvicorn's httptools parser passes it on; the SDK
compares `Mcp-Name`, `Mcp-Method` and `MCP-Protocol-Version` with the body byte for byte, and the
gateway's session tracking reads them too, so every reader gets the trimmed value from here.

What it adds: the body is read within MCP_MAX_REQUEST_BODY_BYTES and REQUEST_BODY_TIMEOUT_SECONDS
(mcpgateway.core.request_body), refused with a JSON-RPC error before any more of it is read.
"""

import asyncio
import time
from contextlib import closing

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.exception import convert_exception_to_response
from django.db import close_old_connections
from django.urls import set_script_prefix

from mcpgateway.core.request_body import RequestBodyLimits
from mcpgateway.mcp.transport_security import body_refusal

CONNECTION_RECYCLE_SECONDS = 30.0
MCP_URLCONF = "mcpgateway.mcp.urls"
# Set when a request met a database error: the next request closes the broken connection first
# (Django opens a new one), instead of failing on it until the next periodic recycle.
_recycle_now = False


def recycle_connections_soon() -> None:
    global _recycle_now
    _recycle_now = True


class McpASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self._connections_checked_at = time.monotonic()
        self._bounded_handle = RequestBodyLimits(
            self.handle, max_bytes=lambda: settings.MCP_MAX_REQUEST_BODY_BYTES, refusal=body_refusal
        )

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response_async)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"/mcp serves HTTP only, not {scope['type']}")
        await self._bounded_handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        scope = {**scope, "headers": [(name, value.strip(b" \t")) for name, value in scope["headers"]]}
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            await self._recycle_connections()
            request, error_response = self.create_request(scope, body_file)
            if request is None:
                await self.send_response(error_response, send)
                return
            request.urlconf = MCP_URLCONF

            class RequestProcessed(Exception):
                pass

            response = None
            try:
                try:
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(self.listen_for_disconnect(receive))
                        response = await self.run_get_response(request)
                        await self.send_response(response, send)
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

    async def _recycle_connections(self) -> None:
        global _recycle_now
        now = time.monotonic()
        if _recycle_now or now - self._connections_checked_at >= CONNECTION_RECYCLE_SECONDS:
            self._connections_checked_at = now
            _recycle_now = False
            await sync_to_async(close_old_connections)()
