"""deploy/grafana/gateway.json, the sample dashboard: valid JSON, and every query names metrics the
gateway exports (mcpgateway.core.metrics, and the live sessions gauge of /metrics) and groups by
labels they have: a renamed metric or label fails here, not on an operator's empty panel."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import Counter, Histogram

from mcpgateway.core import metrics

DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "gateway.json"


def exported() -> dict[str, set[str]]:
    """Every series name the gateway exports, with its label names."""
    names: dict[str, set[str]] = {"gateway_mcp_live_sessions": {"kind"}}
    for metric in vars(metrics).values():
        if isinstance(metric, Counter):
            names[f"{metric._name}_total"] = set(metric._labelnames)
        elif isinstance(metric, Histogram):
            for suffix in ("_bucket", "_sum", "_count"):
                names[f"{metric._name}{suffix}"] = set(metric._labelnames) | ({"le"} if suffix == "_bucket" else set())
    return names


def test_every_panel_queries_metrics_and_labels_that_exist():
    dashboard = json.loads(DASHBOARD.read_text())
    series = exported()
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(queries) >= 8
    used = set()
    for query in queries:
        names = set(re.findall(r"\bgateway_[a-z_]+\b", query))
        assert names, query
        for name in names:
            assert name in series, (name, query)
            used.add(name.removesuffix("_total").removesuffix("_bucket").removesuffix("_sum").removesuffix("_count"))
        for group in re.findall(r"by \(([^)]*)\)", query):
            for label in (label.strip() for label in group.split(",")):
                assert any(label in series[name] for name in names), (label, query)
    # Each metric of the issue has a panel.
    assert {"gateway_http_requests", "gateway_mcp_requests", "gateway_mcp_tool_calls", "gateway_spotify_requests",
            "gateway_spotify_request_duration_seconds", "gateway_spotify_token_refreshes", "gateway_mcp_live_sessions",
            "gateway_refresh_sweep_duration_seconds"} <= used


def test_a_query_naming_a_metric_that_does_not_exist_is_caught():
    assert "gateway_http_request_total" not in exported() and "gateway_http_requests_total" in exported()
