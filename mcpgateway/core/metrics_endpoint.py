"""`/metrics`: the Prometheus exposition of every process role's metrics (mcpgateway.core.metrics),
served from the ASGI entry point (config/asgi.py) before Django: a scraper calls it by an internal
address that is no ALLOWED_HOSTS name and carries no cookie, and needs none of the middleware.

Off unless METRICS_TOKEN or METRICS_ALLOWED_NETWORKS is set (404 saying so); with both, a scrape
needs both. A refused scrape gets 403 with the reason; nothing is counted for it.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

METRICS_PATH = "/metrics"


def refusal(scope) -> tuple[int, str] | None:
    """Why this scrape is refused (status, reason), or None."""
    token, networks = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return 404, "Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS (docs/deployment.md)."
    if networks:
        client = scope.get("client")
        try:
            address = ipaddress.ip_address(client[0]) if client else None
        except ValueError:
            address = None
        if address is None or not any(address in network for network in networks):
            return 403, "Metrics are served only to METRICS_ALLOWED_NETWORKS."
    if token:
        sent = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                sent = value
                break
        scheme, _, credentials = sent.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credentials.strip(), token.encode()):
            return 403, "Metrics need the METRICS_TOKEN bearer token (Authorization: Bearer ...)."
    return None


class RoleFoldersCollector:
    """Every role's metric files (METRICS_DIR/<role>-<host>/*.db) added up as one process's would be:
    counters and histograms summed over processes, dead ones included (a worker's count does not
    vanish with it). No metric here is a live gauge, so there is nothing of a dead process to mark
    (prometheus_client.multiprocess.mark_process_dead only removes live gauges' files); the one
    gauge, live MCP sessions, is counted from the database instead."""

    def __init__(self, root: Path):
        self.root = root

    def collect(self):
        files = sorted(str(path) for path in self.root.glob("*/*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)


class LiveSessionsCollector:
    """gateway_mcp_live_sessions by kind: sessions live in the database, shared by every worker, so
    they are counted there at each scrape (one query) rather than kept by each process."""

    def collect(self):
        from mcpgateway.mcp.selectors import live_session_counts

        family = GaugeMetricFamily("gateway_mcp_live_sessions", "Live MCP sessions and connections (not ended, revoked or expired), by kind.",
                                   labels=["kind"])
        for kind, count in live_session_counts().items():
            family.add_metric([kind], count)
        yield family


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry.register(RoleFoldersCollector(Path(settings.METRICS_DIR)))
    else:  # not started as a process role: this process's own metrics, from memory
        registry.register(_ThisProcess())
    registry.register(LiveSessionsCollector())
    return generate_latest(registry)


async def metrics_application(scope, receive, send) -> None:
    refused = refusal(scope)
    if refused is not None:
        status, body, content_type = refused[0], refused[1].encode(), b"text/plain; charset=utf-8"
    else:
        status, body, content_type = 200, await sync_to_async(exposition)(), CONTENT_TYPE_LATEST.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
