"""The `mcp` SDK's Streamable HTTP handling, run inside Django.

Django runs no ASGI lifespan, so the SDK's session manager (and its task group) is started lazily,
once per event loop, in a task of its own with a fresh `contextvars.Context()` (nothing of the
first request leaks into it). The SDK runs in stateless mode: the gateway owns the sessions
(mcpgateway.mcp.session_tracking).

The SDK never sees Django's `receive`: Django has read the body already and listens for the
disconnect itself; the SDK gets the body and learns of a disconnect when Django cancels us. Its
`send` messages become an `HttpResponse` (complete replies) or a `StreamingHttpResponse` (SSE,
streamed as the SDK writes it: progress arrives as it happens).

Every server gets `PromptLookupMiddleware` (mcpgateway.mcp.prompts): the spec's -32602 for a prompt it
cannot render, where the SDK would answer with an internal error and a traceback.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from mcpgateway.core.lifespan import freeze_what_is_loaded
from mcpgateway.mcp import legacy_exchange
from mcpgateway.mcp.prompts import PromptLookupMiddleware
from mcpgateway.mcp.responses import internal_error, sdk_reply
from mcpgateway.mcp.streams import RECHECK_SECONDS, StreamGuard, listen_for_revocations, open_streams
from mcpgateway.mcp.transport_security import sdk_transport_security

logger = logging.getLogger(__name__)

_END = object()
_REVOKED = object()  # put in a stream's queue when its credential is revoked (mcpgateway.mcp.streams)

# Called with the SDK's `http.response.start` message before it is sent on; may add headers.
ResponseStartHook = Callable[[dict], Awaitable[None]]


@dataclass
class _LoopRuntime:
    manager: StreamableHTTPSessionManager
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None
    task: asyncio.Task | None = None

    async def run(self) -> None:
        try:
            async with self.manager.run():
                self.ready.set()
                await asyncio.Event().wait()  # until the loop ends and cancels us
        except BaseException as exc:  # noqa: BLE001 - reported to every waiting request
            self.error = exc
            self.ready.set()
            raise


class SdkRuntime:
    """One MCP server (built by `server_factory` once per event loop) behind the SDK's session manager."""

    _frozen = False

    def __init__(self, server_factory: Callable[[], MCPServer]):
        self.server_factory = server_factory
        self._runtimes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopRuntime] = weakref.WeakKeyDictionary()

    async def session_manager(self) -> StreamableHTTPSessionManager:
        loop = asyncio.get_running_loop()
        runtime = self._runtimes.get(loop)
        if runtime is None:
            server = self.server_factory()
            server.middleware.append(PromptLookupMiddleware(server))
            manager = StreamableHTTPSessionManager(
                app=server._lowlevel_server,  # the SDK's own streamable_http_app() passes the same object
                json_response=settings.MCP_JSON_RESPONSE,
                stateless=True,
                security_settings=sdk_transport_security(),
                max_request_body_size=settings.MCP_MAX_REQUEST_BODY_BYTES,
            )
            runtime = self._runtimes[loop] = _LoopRuntime(manager)
            # A fresh Context: the task group outlives this request and must not carry its
            # context variables (or a tracing span) into every later request's handlers.
            runtime.task = loop.create_task(runtime.run(), context=contextvars.Context())
            await runtime.ready.wait()
            if not SdkRuntime._frozen:
                # What the SDK just built lives as long as the process (once: a test process
                # starts a runtime per event loop, and frozen objects are never collected).
                SdkRuntime._frozen = True
                freeze_what_is_loaded()
        if not runtime.ready.is_set():
            await runtime.ready.wait()
        if runtime.error is not None:
            raise RuntimeError("The MCP session manager did not start") from runtime.error
        return runtime.manager

    async def forward(
        self, scope: dict, body: bytes, on_response_start: ResponseStartHook | None, guard: StreamGuard | None = None
    ) -> HttpResponse:
        """Hand the request (its ASGI `scope` and the body Django read) to the SDK; its reply.

        `guard`: a streamed reply is registered with it in `open_streams` and ends (with the
        guard's last event) when its credential is revoked."""
        manager = await self.session_manager()
        # The common 2025-11-25 request, answered without the SDK's per-request transport
        # (mcpgateway.mcp.legacy_exchange); anything else takes the SDK's path.
        single = legacy_exchange.single_request(scope, body, json_response=settings.MCP_JSON_RESPONSE)
        messages: asyncio.Queue = asyncio.Queue()
        disconnected = asyncio.Event()
        body_sent = False

        async def receive() -> dict:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start" and on_response_start is not None:
                await on_response_start(message)
            messages.put_nowait(message)

        user = scope.get("user")

        async def run() -> None:
            if isinstance(user, AuthenticatedUser):
                auth_context_var.set(user)  # the SDK's get_access_token() works in handlers
            try:
                if single is not None:
                    # The manager entered the server's lifespan once at startup; its state is the
                    # one every request of the SDK's own paths gets.
                    await legacy_exchange.answer(manager.app, single, send, lifespan_state=manager._lifespan_state)
                else:
                    await manager.handle_request(scope, receive, send)
            except Exception:
                logger.exception("The MCP SDK failed on a request")
            finally:
                messages.put_nowait(_END)

        loop = asyncio.get_running_loop()
        started_at = loop.time()
        if guard is not None:
            # Registered before the SDK runs: a slow tool call is an open request long before its
            # reply's first byte, and a revocation ends it then too.
            await listen_for_revocations()
            open_streams.add(guard, lambda: messages.put_nowait(_REVOKED))
        streaming = False
        task = loop.create_task(run())
        try:
            start = await messages.get()
            if start is _END:
                return internal_error()
            if start is _REVOKED:
                return guard.refused()
            first = await messages.get()
            if first is _REVOKED:
                return guard.refused()  # nothing was sent to the client yet: a plain reply
            if first is _END or first.get("type") != "http.response.body":
                first = {"type": "http.response.body", "body": b"", "more_body": False}
            elif guard is not None and loop.time() - started_at >= RECHECK_SECONDS and not await guard.still_valid():
                # Nothing was sent yet: the revocation the broadcast did not bring is a plain 401.
                return guard.refused()

            status, headers = start["status"], _header_list(start.get("headers", []))
            if not first.get("more_body", False):
                disconnected.set()
                await task
                return sdk_reply(status, headers, first.get("body", b""))

            response = StreamingHttpResponse(_stream(first.get("body", b""), messages, disconnected, task, guard), status=status)
            if guard is not None:
                response._resource_closers.append(lambda: open_streams.discard(guard))  # if never iterated
            del response["Content-Type"]
            for name, value in headers:
                response[name] = value
            streaming = True
            return response
        finally:
            if not streaming:
                if guard is not None:
                    open_streams.discard(guard)
                if not task.done():
                    disconnected.set()
                    task.cancel()


def _header_list(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


async def _stream(
    first: bytes, messages: asyncio.Queue, disconnected: asyncio.Event, task: asyncio.Task, guard: StreamGuard | None = None
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    checked_at = loop.time()
    try:
        if first:
            yield first
        while True:
            message = await messages.get()
            if message is _END:
                return
            if message is _REVOKED:
                yield guard.farewell()
                return
            if message.get("type") != "http.response.body":
                continue
            if chunk := message.get("body", b""):
                if guard is not None and loop.time() - checked_at >= RECHECK_SECONDS:
                    # Belt and braces: a revocation the broadcast did not bring (no channel layer).
                    checked_at = loop.time()
                    if not await guard.still_valid():
                        yield guard.farewell()
                        return
                yield chunk
            if not message.get("more_body", False):
                return
    finally:
        if guard is not None:
            open_streams.discard(guard)
        # Normal end, or Django cancelled the response because the client went away: either way
        # the SDK's request handling sees a disconnect. (On 2025-11-25 the tool itself runs in the
        # SDK's task group and is not cancelled; on 2026-07-28 a dropped stream cancels it.)
        disconnected.set()
        if not task.done():
            task.cancel()
