"""Benchmark: how fast a revocation reaches another worker (issue #11).

Two gateway workers (uvicorn processes A and B) share one database (and Redis, when REDIS_URL is
set: then the revocation epoch and the channel layer are Redis). Each trial makes a personal access
token, opens a slow tool call with it on B (the emulator answers the Spotify Web API after
--slow-ms), revokes the token with the dashboard's Revoke button on A, and measures from the
moment A's response arrived:

- stream closed: until B's open call ended (refused, never answered with its result);
- next request refused: until a new request with the token, sent to B at once, was refused.

It also counts requests accepted after the revocation's response (target: 0). Targets: p99 of
"stream closed" under 1 s (with Redis; without it, B's open call ends only when Spotify answers,
at its next event, and the report says which layer it was).

    REDIS_URL=redis://127.0.0.1:6379/0 ./dev bench revocation_latency [--trials 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway_setup import free_port, gateway_command, person_with_grant, start, use_bench_environment  # noqa: E402

MODERN = "2026-07-28"
TOOL = "get_currently_playing"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "revocation-bench", "version": "1"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--slow-ms", type=int, default=3000, help="the emulator's Web API latency: how long a call stays open")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gateway-revocation-bench-"))
    use_bench_environment(workdir)
    from mcpgateway.spotify_emulator.testing import EmulatorProcess

    workers: list[subprocess.Popen] = []
    with EmulatorProcess() as emulator:
        try:
            os.environ.update(SPOTIFY_ACCOUNTS_URL=emulator.accounts_url, SPOTIFY_API_URL=emulator.api_url)
            user = set_up(emulator)
            ports = [free_port(), free_port()]
            os.environ["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{ports[0]}"
            for port in ports:
                workers.append(start(gateway_command(port), port))
            first, second = (f"http://127.0.0.1:{port}" for port in ports)
            emulator.set_faults(api_latency_ms=args.slow_ms)
            cookies = signed_in_cookies(user)
            trials = []
            for number in range(args.trials):
                trials.append(asyncio.run(trial(first, second, user, cookies, number, args.slow_ms)))
            emulator.clear_faults()
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=10)
    report(trials, args)


def set_up(emulator):
    import django

    django.setup()
    from django.core.management import call_command

    print("Setting up: database, an emulator grant, a signed-in person", flush=True)
    call_command("migrate", verbosity=0)
    return person_with_grant(emulator, "revocation-bench")


def signed_in_cookies(user) -> dict[str, str]:
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return {"sessionid": browser.cookies["sessionid"].value, "csrftoken": secrets.token_hex(16)}


def new_token(user, number: int) -> tuple[str, str]:
    """A fresh token; its plaintext and the dashboard path of its Revoke button."""
    from django.urls import reverse

    from accounts.services import personal_access_token_create
    from mcpgateway.core.scopes import ALL_SCOPES

    row, plaintext = personal_access_token_create(user=user, name=f"trial {number}", scopes=ALL_SCOPES, expires_in_days=None)
    return plaintext, reverse("token_revoke", args=[row.pk])


def call_request(token: str) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "Authorization": f"Bearer {token}", "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": TOOL}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": TOOL, "arguments": {}, "_meta": META}}
    return {"json": body, "headers": headers}


async def trial(first: str, second: str, user, cookies: dict, number: int, slow_ms: int) -> dict:
    import httpx
    from asgiref.sync import sync_to_async

    token, revoke_path = await sync_to_async(new_token)(user, number)
    async with httpx.AsyncClient(timeout=slow_ms / 1000 + 10, cookies=cookies) as http:

        async def open_call():
            async with http.stream("POST", f"{second}/mcp", **call_request(token)) as response:
                body = await response.aread()
            return response.status_code, body, time.monotonic()

        call = asyncio.create_task(open_call())
        await asyncio.sleep(0.3)  # B is waiting for Spotify now
        revoked = await http.post(f"{first}{revoke_path}", data={"csrfmiddlewaretoken": cookies["csrftoken"]})
        revoked_at = time.monotonic()
        if revoked.status_code != 302:
            raise SystemExit(f"the dashboard answered {revoked.status_code}: {revoked.text[:300]}")
        following = await http.post(f"{second}/mcp", **call_request(token))
        refused_at = time.monotonic()
        status, body, ended_at = await call
    answered = status == 200 and b'"result"' in body
    return {
        "stream_closed": ended_at - revoked_at,
        "next_refused": refused_at - revoked_at,
        "accepted_after": int(following.status_code != 401) + int(answered),
    }


def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(trials: list[dict], args) -> None:
    from django.conf import settings

    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"\n{len(trials)} trials, two workers, channel layer {layer}, Web API latency {args.slow_ms} ms")
    print(f"{'from the revocation response to':36} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for key, label in (("stream_closed", "the open call on B ended"), ("next_refused", "the next request on B refused")):
        values = [t[key] * 1000 for t in trials]
        print(f"{label:36} {percentile(values, 50):8.1f} {percentile(values, 99):8.1f} {max(values):8.1f}")
    accepted = sum(t["accepted_after"] for t in trials)
    p99 = percentile([t["stream_closed"] for t in trials], 99)
    print(f"requests accepted after the revocation's response: {accepted} (target 0)")
    print(f"target (open streams p99 < 1 s, 0 accepted): {'met' if p99 < 1 and accepted == 0 else 'NOT met'}")


if __name__ == "__main__":
    main()
