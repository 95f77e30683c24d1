"""Counting the site's HTTP requests (not /mcp: mcpgateway.mcp.bridge counts those) by route: the
URL pattern that matched (`api/tokens/<int:token_id>`, never the path a client sent, which would
give every token id a series of its own), "unmatched" for a path no pattern matches. First in
MIDDLEWARE, so it also counts what the other middleware answer themselves (redirects, lockouts)."""

from __future__ import annotations

import time

from django.urls import Resolver404, resolve
from django.utils.deprecation import MiddlewareMixin

from mcpgateway.core.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        # Answered before URL resolution (a middleware's redirect or refusal): the route it would have had.
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return "unmatched"
    return "/" + match.route if match.route else (match.view_name or "unmatched")


class RequestMetricsMiddleware(MiddlewareMixin):
    def process_request(self, request):
        request._metrics_started = time.perf_counter()

    def process_response(self, request, response):
        route = route_label(request)
        method = request.method if request.method in STANDARD_METHODS else "other"
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        started = getattr(request, "_metrics_started", None)
        if started is not None:
            HTTP_REQUEST_DURATION.labels(route).observe(time.perf_counter() - started)
        return response
