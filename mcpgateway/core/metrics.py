"""Prometheus metrics (prometheus-client): what they are, and the process folders they are kept in.

A web role runs several uvicorn worker processes, and Celery's worker and beat are processes of
their own; a scrape reaches one of them. So every process started as a role of the gateway
(mcpgateway.management.process_roles) writes its metrics to memory-mapped files in
`METRICS_DIR/<role>-<host>` (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR, set
before this module is imported), and `/metrics` (mcpgateway.core.metrics_endpoint) adds up the
files of every role's folder: the Celery worker's refreshes appear on the web role's `/metrics`
when they share VAR_DIR (one machine, or one volume as in compose.yaml). A process not started as a
role (a test, `manage.py shell`) keeps its metrics in memory.

Labels are fixed sets, never what a client sent: a route is the URL pattern that matched, a tool a
tool the gateway has, a JSON-RPC method one of MCP's. The /mcp hot path only increments counters.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Histogram

# --- HTTP (every request but /mcp: mcpgateway.core.request_metrics) ---------------------------------
HTTP_REQUESTS = Counter(
    "gateway_http_requests", "HTTP requests answered, by route (the URL pattern that matched) and status.",
    ["route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "gateway_http_request_duration_seconds", "Time to answer an HTTP request (not /mcp), by route.", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# --- /mcp (mcpgateway.mcp.bridge, mcpgateway.audit.tool_calls) ---------------------------------------
MCP_REQUESTS = Counter(
    "gateway_mcp_requests", "Requests to /mcp, by JSON-RPC method and HTTP status.", ["method", "status"],
)
MCP_TOOL_CALLS = Counter(
    "gateway_mcp_tool_calls", "tools/call by tool and outcome (ok, error, refused) and its reason.", ["tool", "outcome", "reason"],
)

# --- Spotify (mcpgateway.spotify.transport, mcpgateway.spotify.services) -----------------------------
SPOTIFY_REQUESTS = Counter(
    "gateway_spotify_requests", "Requests to Spotify by service (accounts, web_api) and outcome (ok, or the error's reason).",
    ["service", "outcome"],
)
SPOTIFY_REQUEST_DURATION = Histogram(
    "gateway_spotify_request_duration_seconds", "Time Spotify took to answer, by service.", ["service"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TOKEN_REFRESHES = Counter(
    "gateway_spotify_token_refreshes", "Spotify token refreshes (grant_refresh) by outcome.", ["outcome"],
)
REFRESH_SWEEP_DURATION = Histogram(
    "gateway_refresh_sweep_duration_seconds", "Duration of the beat's refresh sweep (grants_refresh_expiring).",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)

# JSON-RPC methods of MCP the label may name; anything else is "other" (a client chooses the method).
MCP_METHODS = frozenset({
    "initialize", "notifications/initialized", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
    "resources/templates/list", "prompts/list", "prompts/get", "completion/complete", "logging/setLevel",
    "notifications/cancelled", "notifications/progress", "notifications/roots/list_changed", "server/discover",
})


def mcp_method_label(message) -> str:
    """The JSON-RPC method of a /mcp body as a label: one of MCP_METHODS, "batch", "none" (no body:
    GET, DELETE, or not JSON) or "other"."""
    if isinstance(message, dict):
        method = message.get("method")
        if method is None:
            return "response" if "result" in message or "error" in message else "none"
        return method if method in MCP_METHODS else "other"
    if isinstance(message, list):
        return "batch"
    return "none"


_tool_names: set[str] = set()


def tool_names_register(names) -> None:
    """The tools the MCP server has (mcpgateway.mcp.server, at import): the `tool` label's values."""
    _tool_names.update(names)


def tool_label(name) -> str:
    """A tool the gateway has, or "unknown" (a client chooses the name it calls)."""
    return name if isinstance(name, str) and name in _tool_names else "unknown"


def multiprocess_dir() -> str | None:
    """This process's metrics folder, when it writes to one (PROMETHEUS_MULTIPROC_DIR)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
