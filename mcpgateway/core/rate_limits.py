"""Request rate limits: django-ratelimit's counters in the shared cache (Redis in production, so
every worker and host counts together), keyed by the client address the gateway believes
(mcpgateway.core.client_address) or by what the request names.

django_ratelimit is not in INSTALLED_APPS on purpose: its system check refuses the one-machine
run's file cache (no atomic increment, so two requests racing on one machine may both be counted
as one) and warns about Django's own Redis cache, which is atomic. A limit off by a racing request
on one machine is acceptable; refusing to start is not."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from mcpgateway.core.client_address import client_address


def by_client_address(group: str, request: HttpRequest) -> str:
    return client_address(request)


def over_limit(request: HttpRequest, *, group: str, per_hour: int, key: Callable[[str, HttpRequest], str] = by_client_address) -> bool:
    """Count this request in `group` for its key; True once the key passed `per_hour` this hour."""
    return is_ratelimited(request, group=group, key=key, rate=f"{per_hour}/h", increment=True)
