"""Metrics and logs of the gateway as a deployment runs it: `manage.py serve web` with two worker
processes and `manage.py serve worker`, on this run's database (SQLite with the one-machine broker,
or PostgreSQL + Redis).

- /metrics adds up both web workers and the Celery worker (prometheus-client multiprocess mode):
  the counts equal the requests made, and requests were answered by both workers;
- a request's id (X-Request-ID) comes back on the response, is on its access line, and is on the
  log lines of the Celery task sent while serving it;
- every line each process wrote is one JSON object.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_grant, make_personal_access_token
from tests.mcpgateway.mcp.conftest import modern_call, reply_of
from tests.support.processes import GatewayProcesses, free_port, gateway_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

METRICS_TOKEN = "scrape-token-for-the-test"


def manage(*arguments: str) -> list[str]:
    return [sys.executable, "manage.py", *arguments]


def scrape(base: str) -> dict[tuple[str, frozenset], float]:
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=60)
    assert response.status_code == 200, response.text
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# Celery's worker writes this from its signal handler straight to stderr (celery.apps.worker.safe_say),
# not through logging, where a lock could deadlock a handler; the one line that is not JSON.
CELERY_SHUTDOWN_NOTICE = re.compile(r"worker: (Warm|Cold) shutdown \(MainProcess\)")


def json_lines(output: str) -> list[dict]:
    """Every line of a process's output as JSON; fails on a line that is not one JSON object."""
    lines = []
    for line in output.splitlines():
        if not line.strip() or CELERY_SHUTDOWN_NOTICE.fullmatch(line):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(record, dict) and {"timestamp", "level", "logger", "message", "request_id"} <= set(record), line
        lines.append(record)
    return lines


def test_two_web_workers_and_the_celery_worker_report_through_one_metrics_endpoint(person, emulator):
    extra = {"METRICS_TOKEN": METRICS_TOKEN, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "HEARTBEAT_INTERVAL_SECONDS": "1"}
    port = free_port()
    web = GatewayProcesses()
    base = web.start(port, command=manage("serve", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"), **extra)
    worker = subprocess.Popen(manage("serve", "worker"), cwd=settings.BASE_DIR, env=gateway_env(VAR_DIR=str(settings.VAR_DIR), PUBLIC_BASE_URL=base, **extra),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        token = make_personal_access_token(person)
        make_grant(emulator, person, expires_in=30)  # due for the sweep's refresh
        before = scrape(base)

        healthz = 30
        for _ in range(healthz):  # a new connection each: spread over both workers
            httpx.get(f"{base}/healthz", timeout=60)
        calls = 6
        for _ in range(calls):
            reply = reply_of(modern_call(base, token, "tools/call", {"name": "get_gateway_identity", "arguments": {}}))
            assert reply["result"]["structuredContent"]["username"] == person.username
        playing = reply_of(modern_call(base, token, "tools/call", {"name": "get_currently_playing", "arguments": {}}))
        assert "result" in playing, playing

        sent = httpx.post(f"{base}/test/refresh-sweep", headers={"X-Request-ID": "journey-request-42"}, timeout=60)
        assert sent.status_code == 200 and sent.headers["x-request-id"] == "journey-request-42"
        deadline = time.monotonic() + 60
        while value(after := scrape(base), "gateway_refresh_sweep_duration_seconds_count") < 1:
            assert time.monotonic() < deadline and worker.poll() is None, "the Celery worker did not run the sweep"
            time.sleep(0.5)

        assert value(after, "gateway_http_requests_total", route="/healthz", method="GET", status="503") \
            + value(after, "gateway_http_requests_total", route="/healthz", method="GET", status="200") \
            - value(before, "gateway_http_requests_total", route="/healthz", method="GET", status="503") \
            - value(before, "gateway_http_requests_total", route="/healthz", method="GET", status="200") == healthz
        assert value(after, "gateway_mcp_tool_calls_total", tool="get_gateway_identity", outcome="ok", reason="-") == calls
        assert value(after, "gateway_mcp_requests_total", method="tools/call", status="200") == calls + 1
        assert value(after, "gateway_spotify_requests_total", service="web_api", outcome="ok") >= 1
        assert value(after, "gateway_spotify_request_duration_seconds_count", service="web_api") >= 1
        # The sweep ran in the Celery worker: its refresh is counted there, and shown here.
        assert value(after, "gateway_spotify_token_refreshes_total", outcome="refreshed") == 1
        assert value(after, "gateway_mcp_live_sessions", kind="connection") == 1
        # Routes are the URL patterns, never a path a client chose.
        httpx.get(f"{base}/accounts/invitation/some-secret-looking-token", timeout=60)
        routes = {dict(labels)["route"] for name, labels in scrape(base) if name == "gateway_http_requests_total"}
        assert "/accounts/invitation/<str:token>" in routes and not any("some-secret" in route for route in routes), routes
    finally:
        worker.send_signal(signal.SIGTERM)
        worker_output = worker.communicate(timeout=30)[0]
        web_output = web.stop()[0]

    web_lines, worker_lines = json_lines(web_output), json_lines(worker_output)
    # Both web workers answered /healthz, and /metrics counted every answer: the sum of both.
    access = [line for line in web_lines if line["logger"] == "uvicorn.access" and "GET /healthz" in line["message"]]
    assert len(Counter(line["pid"] for line in access)) == 2, Counter(line["pid"] for line in access)
    # The request id: on the request's access line, and on the log lines of the task it sent.
    assert any(line["request_id"] == "journey-request-42" and "POST /test/refresh-sweep" in line["message"] for line in web_lines)
    sweep = [line for line in worker_lines if line["message"].startswith("Refresh sweep")]
    assert sweep and all(line["request_id"] == "journey-request-42" for line in sweep), sweep
    assert "Traceback" not in worker_output


def test_a_request_id_is_taken_from_the_client_when_plausible_and_made_otherwise(start_gateway):
    base = start_gateway(LOG_FORMAT="json")
    kept = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "lb-7f3a:9@edge"})
    assert kept.headers["x-request-id"] == "lb-7f3a:9@edge"
    for refused in ("with space", "x" * 129, "quote\"d", "new\\nline"):
        made = httpx.get(f"{base}/healthz", headers={"X-Request-ID": refused})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"]), (refused, made.headers["x-request-id"])
    mcp = httpx.post(f"{base}/mcp", json={}, headers={"X-Request-ID": "mcp-request-1"})
    assert mcp.status_code == 401 and mcp.headers["x-request-id"] == "mcp-request-1"
    assert os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None  # this test process keeps its metrics in memory
