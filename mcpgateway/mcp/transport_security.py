"""What /mcp accepts before anyone looks at who is asking: the Host and Origin it serves (against
DNS rebinding, MCP transport spec "Security Warning") and the largest body (refused while it is read
by mcpgateway.mcp.handler; checked again here on the request Django built).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import INVALID_REQUEST

from mcpgateway.mcp.responses import jsonrpc_error


def _is_pattern(host: str) -> bool:
    return host == "*" or host.startswith(".")


def sdk_transport_security() -> TransportSecuritySettings:
    """The SDK's DNS-rebinding protection, from the same ALLOWED_HOSTS Django uses.

    The SDK compares exact values only; when ALLOWED_HOSTS holds Django patterns ("*",
    ".example.com") the gateway's own check (`host_and_origin_problem`) is the one that applies.
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


def body_refusal(status: int, message: str) -> HttpResponse:
    """A body refused while it was read (mcpgateway.core.request_body: 413 too large, 408 too slow)."""
    return jsonrpc_error(status, INVALID_REQUEST, message)


def body_within_limit(request: HttpRequest) -> bytes | None:
    """The request body, or None when it is larger than MCP_MAX_REQUEST_BODY_BYTES.

    Reads the spooled body directly: `request.body` would apply DATA_UPLOAD_MAX_MEMORY_SIZE and
    answer Django's HTML 400 instead of the 413 MCP clients understand.
    """
    limit = settings.MCP_MAX_REQUEST_BODY_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1) if request.method == "POST" else b""
    return None if len(body) > limit else body
