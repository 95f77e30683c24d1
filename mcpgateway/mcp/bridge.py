"""The bridge from a Django request on /mcp to the `mcp` SDK's Streamable HTTP handling.

One `McpEndpoint` serves both protocol eras on one URL:

- 2026-07-28 (sessionless): every POST is self-contained; the SDK's session manager routes it by
  its `MCP-Protocol-Version` header. The gateway keeps one McpSession row per credential and client
  name (a "connection") so people and admins see and revoke these clients like sessions.
- 2025-11-25: the SDK runs in stateless mode and the gateway owns the sessions: it mints the
  `Mcp-Session-Id` (an McpSession row) at `initialize` and checks it on every request, so any worker
  process serves any session. Server-to-client requests and GET streams are not offered (see
  docs/mcp-endpoint.md).

Django runs no ASGI lifespan, so the SDK's task group is started lazily, once per event loop, in a
task of its own with a fresh `contextvars.Context()` (nothing of the first request leaks into it).
The SDK never sees Django's `receive`: Django has read the body already and listens for the
disconnect itself; the SDK gets the body and learns of a disconnect when Django cancels us.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.request import split_domain_port, validate_host
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CLIENT_INFO_META_KEY, INTERNAL_ERROR, INVALID_REQUEST
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from starlette.authentication import AuthCredentials

from mcpgateway.mcp import sessions
from mcpgateway.mcp.auth import Principal, authenticate_bearer
from mcpgateway.mcp.context import SCOPE_EPOCH, SCOPE_PRINCIPAL, SCOPE_SESSION_ID
from mcpgateway.mcp.server import ToolAccess, tool_access
from mcpgateway.revocation import current_revocation_epoch

logger = logging.getLogger(__name__)

SESSION_HEADER = "mcp-session-id"
PROTOCOL_HEADER = "mcp-protocol-version"
AUTH_REQUIRED = -32000  # the error code MCP clients recognise as "authenticate first"
_END = object()


# --- Replies the gateway writes itself ---------------------------------------------------------


def jsonrpc_error(status: int, code: int, message: str, *, data: Any = None, headers: dict[str, str] | None = None) -> HttpResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    body = json.dumps({"jsonrpc": "2.0", "error": error, "id": None}, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type="application/json")
    response["Content-Length"] = str(len(body))
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def resource_metadata_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}/.well-known/oauth-protected-resource/mcp"


def authentication_required() -> HttpResponse:
    """RFC 6750 §3 challenge pointing at the RFC 9728 metadata (MCP authorization spec)."""
    return jsonrpc_error(
        401,
        AUTH_REQUIRED,
        "Authentication required",
        data={"authUrl": f"{settings.PUBLIC_BASE_URL}/"},
        headers={"WWW-Authenticate": f'Bearer resource_metadata="{resource_metadata_url()}"'},
    )


def insufficient_scope(scopes: set[str] | frozenset[str], request_id: Any) -> HttpResponse:
    """RFC 6750 §3.1: the token is good but lacks a scope this call needs; MCP clients re-authorize
    for it (MCP authorization spec, "Scope challenge handling")."""
    scope = " ".join(sorted(scopes))
    response = jsonrpc_error(
        403, INVALID_REQUEST, f"This client was not granted the scope {scope} that this call needs.",
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}", resource_metadata="{resource_metadata_url()}"'},
    )
    if request_id is not None:
        body = json.loads(response.content)
        body["id"] = request_id
        response.content = json.dumps(body, separators=(",", ":"))
        response["Content-Length"] = str(len(response.content))
    return response


def session_not_found() -> HttpResponse:
    return jsonrpc_error(404, INVALID_REQUEST, "Session not found")


# --- Host and Origin ----------------------------------------------------------------------------


def _is_pattern(host: str) -> bool:
    return host == "*" or host.startswith(".")


def transport_security_settings() -> TransportSecuritySettings:
    """The SDK's DNS-rebinding protection, from the same ALLOWED_HOSTS Django uses.

    The SDK compares exact values only; when ALLOWED_HOSTS holds Django patterns ("*",
    ".example.com") the bridge's own check (`host_and_origin_problem`) is the one that applies.
    """
    hosts = list(settings.ALLOWED_HOSTS)
    if any(_is_pattern(h) for h in hosts):
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    allowed_hosts = [variant for h in hosts for variant in (h, f"{h}:*")]
    allowed_origins = [f"{scheme}://{variant}" for h in hosts for scheme in ("http", "https") for variant in (h, f"{h}:*")]
    allowed_origins += [o.rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS]
    return TransportSecuritySettings(allowed_hosts=allowed_hosts, allowed_origins=allowed_origins)


def host_and_origin_problem(request: HttpRequest) -> HttpResponse | None:
    """421 for a Host the gateway does not serve, 403 for a foreign Origin (DNS rebinding)."""
    try:
        request.get_host()
    except DisallowedHost:
        return jsonrpc_error(421, INVALID_REQUEST, "Invalid Host header")
    origin = request.headers.get("Origin")
    if origin:
        trusted = {o.rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS}
        parts = urlsplit(origin)
        host, _port = split_domain_port(parts.netloc)
        if origin.rstrip("/") not in trusted and not (
            parts.scheme in ("http", "https") and host and validate_host(host, settings.ALLOWED_HOSTS)
        ):
            return jsonrpc_error(403, INVALID_REQUEST, "Invalid Origin header")
    return None


# --- The SDK, started lazily once per event loop ------------------------------------------------


@dataclass
class _Runtime:
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


class McpEndpoint:
    """Serves /mcp (or the test-only conformance fixture) through the SDK's session manager."""

    def __init__(
        self, server_factory: Callable[[], MCPServer], *, authenticate: bool = True, fallback_token: str | None = None
    ):
        self.server_factory = server_factory
        self.authenticate = authenticate
        # Test-only (the conformance fixture): the token of a request that brings none.
        self.fallback_token = fallback_token
        self._tool_access: ToolAccess | None = None
        self._runtimes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Runtime] = weakref.WeakKeyDictionary()

    async def session_manager(self) -> StreamableHTTPSessionManager:
        loop = asyncio.get_running_loop()
        runtime = self._runtimes.get(loop)
        if runtime is None:
            server = self.server_factory()
            self._tool_access = tool_access(server)
            manager = StreamableHTTPSessionManager(
                app=server._lowlevel_server,  # the SDK's own streamable_http_app() passes the same object
                json_response=settings.MCP_JSON_RESPONSE,
                stateless=True,
                security_settings=transport_security_settings(),
                max_request_body_size=settings.MCP_MAX_REQUEST_BODY_BYTES,
            )
            runtime = self._runtimes[loop] = _Runtime(manager)
            # A fresh Context: the task group outlives this request and must not carry its
            # context variables (or a tracing span) into every later request's handlers.
            runtime.task = loop.create_task(runtime.run(), context=contextvars.Context())
        if not runtime.ready.is_set():
            await runtime.ready.wait()
        if runtime.error is not None:
            raise RuntimeError("The MCP session manager did not start") from runtime.error
        return runtime.manager

    # --- the request ------------------------------------------------------------------------

    async def handle(self, request: HttpRequest) -> HttpResponse:
        problem = host_and_origin_problem(request)
        if problem is not None:
            return problem
        if request.method not in ("POST", "GET", "DELETE"):
            return jsonrpc_error(405, INVALID_REQUEST, "Method not allowed", headers={"Allow": "GET, POST, DELETE"})
        limit = settings.MCP_MAX_REQUEST_BODY_BYTES
        try:
            declared = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return jsonrpc_error(413, INVALID_REQUEST, f"Request body too large (limit {limit} bytes)")
        # Read the spooled body directly: `request.body` would apply DATA_UPLOAD_MAX_MEMORY_SIZE
        # and answer Django's HTML 400 instead of the 413 MCP clients understand.
        body = request.read(limit + 1) if request.method == "POST" else b""
        if len(body) > limit:
            return jsonrpc_error(413, INVALID_REQUEST, f"Request body too large (limit {limit} bytes)")

        scope = dict(request.scope)
        principal: Principal | None = None
        # One read of the revocation epoch serves every cache this request consults.
        epoch = await current_revocation_epoch()
        scope[SCOPE_EPOCH] = epoch
        if self.authenticate:
            principal = await self._principal(request, epoch)
            if principal is None:
                return authentication_required()
            scope["user"] = AuthenticatedUser(
                AccessToken(
                    token="",  # never handed on: tool code has no use for the gateway credential
                    client_id=principal.credential_id,
                    scopes=sorted(principal.scopes),
                    subject=str(principal.user_id),
                    resource=principal.audience,
                )
            )
            scope["auth"] = AuthCredentials(sorted(principal.scopes))
            scope[SCOPE_PRINCIPAL] = principal

        version = request.headers.get(PROTOCOL_HEADER)
        on_start = None
        if principal is not None:
            if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
                refused = await self._track_connection(request, scope, principal, version, body, epoch)
            else:
                refused, on_start = await self._track_session(request, scope, principal, body, epoch)
            if refused is not None:
                return refused
            if principal.kind == "oauth" and request.method == "POST":
                # OAuth clients can step up, so a call beyond their scopes is an HTTP 403 challenge
                # (personal access tokens keep the tool-result explanation of ToolAccessMiddleware).
                refused = await self._scope_challenge(principal, body)
                if refused is not None:
                    return refused
        return await self._forward(scope, body, on_start)

    async def _scope_challenge(self, principal: Principal, body: bytes) -> HttpResponse | None:
        message = _decode(body)
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            return None
        name = (message.get("params") or {}).get("name") if isinstance(message.get("params"), dict) else None
        await self.session_manager()  # builds the server, and with it the tools' requirements
        requirement = self._tool_access.requirements.get(name) if isinstance(name, str) and self._tool_access else None
        lacking = (requirement.gateway_scopes - principal.scopes) if requirement else frozenset()
        return insufficient_scope(lacking, message.get("id")) if lacking else None

    async def _principal(self, request: HttpRequest, epoch: str) -> Principal | None:
        authorization = request.headers.get("Authorization", "")
        if not authorization and self.fallback_token:
            authorization = f"Bearer {self.fallback_token}"
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await authenticate_bearer(token.strip(), epoch=epoch)

    @staticmethod
    def _client_details(request: HttpRequest) -> dict[str, Any]:
        return {
            "user_agent": request.headers.get("User-Agent", ""),
            "ip_address": request.META.get("REMOTE_ADDR") or None,
        }

    async def _track_connection(
        self, request: HttpRequest, scope: dict, principal: Principal, version: str, body: bytes, epoch: str
    ) -> HttpResponse | None:
        """2026-07-28: find or create the client's connection row; a revoked one is refused (401)."""
        if request.method != "POST" or version not in MODERN_PROTOCOL_VERSIONS:
            return None  # the SDK answers these (405, unsupported version)
        message = _decode(body)
        if not isinstance(message, dict) or "id" not in message or not isinstance(message.get("method"), str):
            return None  # notifications and malformed bodies: the SDK answers, nothing to track
        params = message.get("params") if isinstance(message.get("params"), dict) else {}
        meta = params.get("_meta") if isinstance(params.get("_meta"), dict) else {}
        info = meta.get(CLIENT_INFO_META_KEY) if isinstance(meta.get(CLIENT_INFO_META_KEY), dict) else {}
        name, client_version = str(info.get("name") or ""), str(info.get("version") or "")
        details = self._client_details(request)
        state = await sessions.mcp_connection_for(
            principal=principal, client_name=name, client_version=client_version,
            protocol_version=version, epoch=epoch, **details,
        )
        if state.closed:
            return authentication_required()
        scope[SCOPE_SESSION_ID] = str(state.id)
        await sessions.mcp_session_touch(state=state, client_version=client_version, protocol_version=version, **details)
        return None

    async def _track_session(
        self, request: HttpRequest, scope: dict, principal: Principal, body: bytes, epoch: str
    ) -> tuple[HttpResponse | None, Callable | None]:
        """2025-11-25: the gateway's own Mcp-Session-Id, checked on every request on every worker."""
        session_id = request.headers.get(SESSION_HEADER)
        if session_id is not None:
            state = await sessions.mcp_session_find(session_id=session_id, principal=principal, epoch=epoch)
            if state is None:
                return session_not_found(), None
            if request.method == "DELETE":
                await sessions.mcp_session_end(state=state)
                response = HttpResponse(status=200)
                del response["Content-Type"]
                return response, None
            if request.method == "GET":
                return _no_get_stream(), None
            scope[SCOPE_SESSION_ID] = str(state.id)
            await sessions.mcp_session_touch(
                state=state, protocol_version=request.headers.get(PROTOCOL_HEADER), **self._client_details(request)
            )
            return None, None

        if request.method == "GET":
            return _no_get_stream(), None
        if request.method != "POST":
            return jsonrpc_error(400, INVALID_REQUEST, "Bad Request: Missing session ID"), None
        message = _decode(body)
        if not isinstance(message, dict):
            return None, None  # the SDK answers malformed bodies
        if message.get("method") != "initialize" or "id" not in message:
            return jsonrpc_error(400, INVALID_REQUEST, "Bad Request: Missing session ID"), None

        params = message.get("params") if isinstance(message.get("params"), dict) else {}
        info = params.get("clientInfo") if isinstance(params.get("clientInfo"), dict) else {}
        details = self._client_details(request)

        async def start_session(start: dict) -> None:
            """Mint the session only once the SDK accepted the `initialize` (spec: the server
            assigns the id in the response that carries the InitializeResult)."""
            if start["status"] != 200:
                return
            state = await sessions.mcp_session_start(
                principal=principal,
                client_name=str(info.get("name") or ""),
                client_version=str(info.get("version") or ""),
                protocol_version=str(params.get("protocolVersion") or ""),
                epoch=epoch,
                **details,
            )
            start["headers"] = [*start["headers"], (SESSION_HEADER.encode(), state.id.hex.encode())]

        return None, start_session

    # --- forwarding -----------------------------------------------------------------------------

    async def _forward(self, scope: dict, body: bytes, on_start: Callable | None) -> HttpResponse:
        manager = await self.session_manager()
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
            if message["type"] == "http.response.start" and on_start is not None:
                await on_start(message)
            messages.put_nowait(message)

        user = scope.get("user")

        async def run() -> None:
            if isinstance(user, AuthenticatedUser):
                auth_context_var.set(user)  # the SDK's get_access_token() works in handlers
            try:
                await manager.handle_request(scope, receive, send)
            except Exception:
                logger.exception("The MCP SDK failed on a request")
            finally:
                messages.put_nowait(_END)

        task = asyncio.get_running_loop().create_task(run())
        try:
            start = await messages.get()
            if start is _END:
                return jsonrpc_error(500, INTERNAL_ERROR, "Internal error")
            first = await messages.get()
            if first is _END or first.get("type") != "http.response.body":
                first = {"type": "http.response.body", "body": b"", "more_body": False}
        except BaseException:
            disconnected.set()
            task.cancel()
            raise

        status, headers = start["status"], _header_list(start.get("headers", []))
        if not first.get("more_body", False):
            disconnected.set()
            await task
            return _complete_response(status, headers, first.get("body", b""))

        response = StreamingHttpResponse(_stream(first.get("body", b""), messages, disconnected, task), status=status)
        del response["Content-Type"]
        for name, value in headers:
            response[name] = value
        return response


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _no_get_stream() -> HttpResponse:
    """The gateway offers no standalone SSE stream (2025-11-25 §Listening for Messages allows 405)."""
    response = HttpResponse(status=405)
    del response["Content-Type"]
    response["Allow"] = "POST, DELETE"
    return response


def _header_list(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


_PLAIN_ERRORS = {400: INVALID_REQUEST, 403: INVALID_REQUEST, 404: INVALID_REQUEST, 406: INVALID_REQUEST,
                 413: INVALID_REQUEST, 415: INVALID_REQUEST, 421: INVALID_REQUEST}


def _complete_response(status: int, headers: list[tuple[str, str]], body: bytes) -> HttpResponse:
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    if status >= 400 and body and not (content_type or "").startswith("application/json"):
        # The SDK answers some checks in plain text ("Invalid Content-Type header"); MCP clients
        # expect a JSON-RPC error body with the same status.
        message = body.decode("utf-8", "replace")[:200]
        return jsonrpc_error(status, _PLAIN_ERRORS.get(status, INTERNAL_ERROR), message,
                             headers={k: v for k, v in headers if k.lower() == "allow"})
    response = HttpResponse(body, status=status)
    if content_type is None:
        # Django would otherwise label a bodiless 202/405 as text/html.
        del response["Content-Type"]
    for name, value in headers:
        response[name] = value
    return response


async def _stream(first: bytes, messages: asyncio.Queue, disconnected: asyncio.Event, task: asyncio.Task) -> AsyncIterator[bytes]:
    try:
        if first:
            yield first
        while True:
            message = await messages.get()
            if message is _END:
                return
            if message.get("type") != "http.response.body":
                continue
            if chunk := message.get("body", b""):
                yield chunk
            if not message.get("more_body", False):
                return
    finally:
        # Normal end, or Django cancelled the response because the client went away: either way
        # the SDK's request handling sees a disconnect. (On 2025-11-25 the tool itself runs in the
        # SDK's task group and is not cancelled; on 2026-07-28 a dropped stream cancels it.)
        disconnected.set()
        if not task.done():
            task.cancel()
