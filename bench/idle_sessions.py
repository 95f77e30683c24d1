"""Benchmark: what 10,000 idle 2025-11-25 sessions cost a gateway worker in memory.

Two measurements:
- the worker itself: one uvicorn process of the gateway, its resident memory (VmRSS from /proc)
  after warming up, and again after N clients each opened a session (`initialize`, then
  `notifications/initialized`) and went idle. RSS includes what the allocator keeps, so this is the
  number an operator sees, give or take a few hundred kB of noise;
- what the sessions themselves hold, in this process with tracemalloc: N sessions started through
  `mcp_session_start` (the worker's code path), the memory still allocated once they are idle,
  per session and in total.

    ./dev bench idle_sessions [--sessions 10000] [--concurrency 20]

A worker keeps at most MCP_SESSION_CACHE_SIZE sessions (the environment's, default 10,000; the
warm-up's 200 count too): beyond that, what idle sessions cost a worker stays where it is.

Target (issue #12): 10,000 idle sessions add < 5 MB to a worker.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway_setup import free_port, gateway_command, person_with_grant, start, use_bench_environment  # noqa: E402

LEGACY = "2025-11-25"
ACCEPT = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gateway-idle-bench-"))
    # No cap on live sessions per credential: every one of the N stays live.
    use_bench_environment(workdir, MCP_MAX_LIVE_SESSIONS_PER_CREDENTIAL="0")
    from mcpgateway.spotify_emulator.testing import EmulatorProcess

    with EmulatorProcess() as emulator:
        os.environ.update(SPOTIFY_ACCOUNTS_URL=emulator.accounts_url, SPOTIFY_API_URL=emulator.api_url)
        token, user = set_up(emulator)
        port = free_port()
        os.environ["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
        gateway = start(gateway_command(port), port)
        try:
            url = f"http://127.0.0.1:{port}/mcp"
            asyncio.run(open_sessions(url, token, 200, args.concurrency))  # warm up: imports, caches, connections
            time.sleep(1)
            before = rss_bytes(gateway.pid)
            started = time.perf_counter()
            asyncio.run(open_sessions(url, token, args.sessions, args.concurrency))
            seconds = time.perf_counter() - started
            time.sleep(1)
            after = rss_bytes(gateway.pid)
        finally:
            gateway.terminate()
            gateway.wait(timeout=10)
        in_process = asyncio.run(traced_sessions(user, args.sessions))

    n = args.sessions
    print()
    from django.conf import settings

    print(f"Idle {LEGACY} sessions: {n} opened through /mcp in {seconds:.1f} s ({args.concurrency} at a time), one worker "
          f"keeping at most {settings.MCP_SESSION_CACHE_SIZE} (MCP_SESSION_CACHE_SIZE)")
    print(f"  worker RSS before {before / MB:.1f} MB, after {after / MB:.1f} MB: +{(after - before) / MB:.2f} MB "
          f"({(after - before) / n:.0f} bytes a session)")
    print(f"  tracemalloc, {n} sessions started in-process through mcp_session_start: +{in_process / MB:.2f} MB "
          f"({in_process / n:.0f} bytes a session)")
    ok = after - before < 5 * MB
    print(f"target (< 5 MB added to the worker for {n} sessions): {'met' if ok else 'NOT met'}")


def set_up(emulator):
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.services import personal_access_token_create
    from mcpgateway.core.scopes import ALL_SCOPES

    print("Setting up: database, emulator grant, a personal access token", flush=True)
    call_command("migrate", verbosity=0)
    user = person_with_grant(emulator, "bench")
    _row, plaintext = personal_access_token_create(user=user, name="bench", scopes=ALL_SCOPES, expires_in_days=None)
    return plaintext, user


def rss_bytes(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def open_sessions(url: str, token: str, count: int, concurrency: int) -> None:
    import httpx

    headers = {**ACCEPT, "Authorization": f"Bearer {token}"}
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "idle-bench", "version": "1"}}}
    remaining = iter(range(count))

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency), timeout=30) as http:
        async def client() -> None:
            for _ in remaining:
                response = await http.post(url, json=init, headers=headers)
                response.raise_for_status()
                session = {**headers, "Mcp-Session-Id": response.headers["mcp-session-id"], "MCP-Protocol-Version": LEGACY}
                (await http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)).raise_for_status()

        await asyncio.gather(*(client() for _ in range(concurrency)))


async def traced_sessions(user, count: int) -> int:
    """Bytes still allocated after `count` sessions were started in this process and left idle."""
    from asgiref.sync import sync_to_async

    from accounts.models import PersonalAccessToken
    from mcpgateway.core.revocation import current_revocation_epoch
    from mcpgateway.mcp import session_tracking
    from mcpgateway.mcp.auth import Principal
    from mcpgateway.mcp.session_tracking import ClientInfo, mcp_session_start

    pat = await PersonalAccessToken.objects.aget(user=user)
    principal = Principal(user_id=user.pk, username=user.username, scopes=frozenset(pat.scope_set), credential_id=pat.credential_id,
                          kind="pat", audience=None)
    epoch = await current_revocation_epoch()
    session_tracking._cache.clear()
    client = ClientInfo(name="idle-bench", version="1", protocol_version=LEGACY, user_agent="python-httpx", ip_address="127.0.0.1")
    await mcp_session_start(principal=principal, client=client, epoch=epoch)  # warm up
    await sync_to_async(gc.collect)()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(count):
        await mcp_session_start(principal=principal, client=client, epoch=epoch)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before


if __name__ == "__main__":
    main()
