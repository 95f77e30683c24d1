"""The addresses people and MCP clients are given: always built from PUBLIC_BASE_URL.

Never from the request's Host: a page reached through another allowed name (localhost instead of
127.0.0.1, an internal address behind a proxy) must still hand out the one URL at which sign-in
cookies, the Spotify callback and MCP client discovery agree.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseRedirect

# Endpoints that machines call (health probes, OAuth token and registration calls, metadata, the
# REST API, static files) answer on any allowed host; only pages a browser shows are moved.
MACHINE_PATH_PREFIXES = ("/healthz", "/.well-known/", "/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/register",
                         "/static/", "/mcp", "/api/")


def public_url(path: str = "/") -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def mcp_url() -> str:
    return public_url("/mcp")


def public_urls(request) -> dict[str, str]:
    """Template context processor: the URLs every page may show."""
    return {"public_base_url": settings.PUBLIC_BASE_URL, "mcp_url": mcp_url()}


class CanonicalHostMiddleware:
    """Send a browser that reached a page through another host to the same page on
    PUBLIC_BASE_URL's host, before it signs in or starts a Spotify connection there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.CANONICAL_HOST_REDIRECT
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(MACHINE_PATH_PREFIXES)
            and request.get_host() != urlsplit(settings.PUBLIC_BASE_URL).netloc
        ):
            return HttpResponseRedirect(public_url(request.get_full_path()))
        return self.get_response(request)
