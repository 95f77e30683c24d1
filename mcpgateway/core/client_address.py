"""The client address the gateway counts (the DCR rate limit, the sign-in lockout): decided here
and nowhere else.

A client may send any X-Forwarded-For it likes; only a proxy named in TRUSTED_PROXIES is believed.
uvicorn applies that rule before Django sees the request: run_gateway starts it with
`--forwarded-allow-ips` set to TRUSTED_PROXIES, or with `--no-proxy-headers` when the list is
empty (uvicorn's own default would believe any loopback peer, so a client next to the gateway could
pick a fresh address for every request). REMOTE_ADDR is therefore the TCP peer, or, when that peer
is a trusted proxy, the first address in its X-Forwarded-For chain that is not a trusted proxy.
Forwarded headers are never read here: they are the client's own claim.
"""

from __future__ import annotations

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or ""
