"""Request bodies are read within a size and a time limit, before any view sees them.

Django's `ASGIHandler.read_body` reads the whole body (into a spooled temporary file, on disk past
FILE_UPLOAD_MAX_MEMORY_SIZE) before anything looks at its size, and waits for it for ever:
DATA_UPLOAD_MAX_MEMORY_SIZE applies only when a view later reads `request.body`. So a 300 MB
chunked upload was read to the end before its 413, and a body that never arrived held its connection
open. `RequestBodyLimits` wraps an ASGI application (config/asgi.py: the site; mcpgateway.mcp.handler:
/mcp) and:

- answers 413 at once, without reading, when the declared Content-Length is over the limit;
- answers 413 as soon as a body without one (chunked) crosses the limit;
- answers 408 when the body has not fully arrived REQUEST_BODY_TIMEOUT_SECONDS after the request
  started (RFC 9110 §15.5.9), however slowly it trickles.

Each of these replies closes the connection (the rest of the body is never read), and the wrapped
application sees the client disconnect, so it stops without answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from .asgi_responses import send_response

# The reply for a refused body, from its status and a message a person can read.
Refusal = Callable[[int, str], HttpResponse]
DISCONNECT = {"type": "http.disconnect"}
# How long a request whose deadline passed while the server itself was busy may still take to read
# what the client already sent (BoundedBody._late_receive).
LATE_READ_SECONDS = 1.0


def too_large_message(limit: int) -> str:
    return f"Request body too large (limit {limit} bytes)"


def oauth_style_refusal(status: int, message: str) -> HttpResponse:
    """The site's reply: its request bodies are OAuth requests (RFC 6749 §5.2 error shape) and forms."""
    return JsonResponse({"error": "invalid_request", "error_description": message}, status=status)


def declared_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed Content-Length itself
    return None


async def send_refusal(send, response: HttpResponse) -> None:
    # The unread rest of the body must not be taken as a request.
    await send_response(send, response, extra_headers=((b"connection", b"close"),))


class RequestBodyLimits:
    def __init__(self, app, *, max_bytes: Callable[[], int], refusal: Refusal):
        self.app = app
        self.max_bytes = max_bytes  # read per request: settings may change (tests)
        self.refusal = refusal

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await send_refusal(send, self.refusal(413, too_large_message(limit)))
            return
        body = BoundedBody(receive, send, limit=limit, timeout=settings.REQUEST_BODY_TIMEOUT_SECONDS, refusal=self.refusal)
        await self.app(scope, body.receive, body.send)


class BoundedBody:
    """The `receive` and `send` of one request: the body within its limits, or the refusal sent and
    a disconnect for the application."""

    def __init__(self, receive, send, *, limit: int, timeout: float, refusal: Refusal):
        self._receive, self._send = receive, send
        self.limit, self.timeout, self.refusal = limit, timeout, refusal
        self.deadline = asyncio.get_running_loop().time() + timeout
        self.received = 0
        self.complete = False
        self.refused = False
        self.late = False

    async def receive(self):
        if self.refused:
            return DISCONNECT
        if self.complete:
            return await self._receive()  # after the body: the application waits for the disconnect
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self._receive()
        except TimeoutError:
            message = await self._late_receive()
            if message is None:
                return await self.refuse(408, f"The request body did not arrive within {self.timeout:g} seconds")
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                return await self.refuse(413, too_large_message(self.limit))
            self.complete = not message.get("more_body", False)
        return message

    async def _late_receive(self):
        """One short last wait, once a request, after the deadline passed: the deadline is the
        client's, but a server that ran late (a worker busy with other requests, a paused machine)
        reaches it with the body still unread in its socket, and a timeout already due fires before
        the event loop reads that socket again. A body that trickles gets this wait only once."""
        if self.late:
            return None
        self.late = True
        try:
            async with asyncio.timeout(LATE_READ_SECONDS):
                message = await self._receive()
        except TimeoutError:
            return None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if self.received > self.limit:
                return await self.refuse(413, too_large_message(self.limit))
            if not self.complete:
                return None  # still more to come, and no time left for it
        return message

    async def send(self, message):
        if not self.refused:
            await self._send(message)

    async def refuse(self, status: int, message: str):
        self.refused = True
        await send_refusal(self._send, self.refusal(status, message))
        return DISCONNECT
