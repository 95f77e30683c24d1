"""Load: many concurrent MCP clients, each a person of its own with a personal access token and a
Spotify grant, calling a mix of read and write tools through the gateway's /mcp for a fixed time,
against one web role with several uvicorn worker processes (`manage.py serve web`'s command).

Half the clients speak 2026-07-28 (sessionless: every request carries its own `_meta` and routing
headers), half 2025-11-25 (initialize, then Mcp-Session-Id on every request); every client is the
`mcp` SDK's own `Client` over real HTTP. Each person has a Spotify user of their own at the
emulator, with one device. A client starts with get_devices and create_playlist, then repeats its
round: search, start_playback (a found track, on its device), get_currently_playing, add_to_queue,
pause_playback, start_playback (resume), add_playlist_items and remove_playlist_items. An error is anything but a successful tool result: a transport
error, a JSON-RPC error or a result with isError.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gateway_load REDIS_URL=redis://127.0.0.1:6379/6 \\
        ./dev bench load [--clients 100] [--seconds 60] [--workers 2]

Target (issue #12): 100 clients for 60 s on 2 workers, PostgreSQL and Redis: 0 errors. The test
`tests/mcpgateway/mcp/test_load.py` runs the same clients (run_clients below) for a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project (run as a script) and gateway_setup next to this file (imported by the test as well).
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from gateway_setup import free_port, person_with_grant, start, use_bench_environment  # noqa: E402

LEGACY, MODERN = "2025-11-25", "2026-07-28"
# Tracks of the emulator's catalogue, played, queued and added to playlists.
SEARCH = {"query": "a", "types": ["track"], "limit": 5}


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    calls_by_tool: Counter = field(default_factory=Counter)
    calls_by_era: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # "<tool>: <what went wrong>" -> count

    @property
    def calls(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


async def run_clients(url: str, tokens: list[str], *, seconds: float, timeout: float = 60) -> LoadResult:
    """One SDK client a token, all at once, each repeating its round of tools until `seconds` have
    passed (a round once started is finished; every client plays at least one). Even clients
    speak 2026-07-28, odd ones 2025-11-25."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    result = LoadResult()
    started = time.perf_counter()
    deadline = started + seconds

    async def call(client, era: str, tool: str, arguments: dict):
        t0 = time.perf_counter()
        try:
            answer = await client.call_tool(tool, arguments)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, by kind
            result.errors[f"{tool}: {type(exc).__name__}: {str(exc)[:200]}"] += 1
            return None
        finally:
            result.latencies_ms.append(1000 * (time.perf_counter() - t0))
            result.calls_by_tool[tool] += 1
            result.calls_by_era[era] += 1
        if answer.is_error:
            text = " ".join(getattr(block, "text", "") for block in answer.content)
            result.errors[f"{tool}: isError: {text[:200]}"] += 1
            return None
        return answer.structured_content

    async def one_client(number: int, token: str) -> None:
        era = MODERN if number % 2 == 0 else LEGACY
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        try:
            async with http, Client(streamable_http_client(url, http_client=http), mode=MODERN if era == MODERN else "legacy") as client:
                devices = await call(client, era, "get_devices", {})
                device = {"device_id": devices["devices"][0]["id"]} if devices else {}
                playlist = await call(client, era, "create_playlist", {"name": f"Load {number}"})
                while True:  # every client plays at least one whole round, however slow the machine
                    found = await call(client, era, "search", SEARCH)
                    if not found:  # counted; nothing to play this round
                        if time.perf_counter() >= deadline:
                            break
                        continue
                    uri = found["tracks"]["items"][number % len(found["tracks"]["items"])]["uri"]
                    await call(client, era, "start_playback", {"uris": [uri], **device})
                    await call(client, era, "get_currently_playing", {})
                    await call(client, era, "add_to_queue", {"uri": uri})
                    await call(client, era, "pause_playback", {})
                    await call(client, era, "start_playback", {})
                    if playlist:
                        await call(client, era, "add_playlist_items", {"playlist_id": playlist["id"], "uris": [uri]})
                        await call(client, era, "remove_playlist_items", {"playlist_id": playlist["id"], "uris": [uri]})
                    if time.perf_counter() >= deadline:
                        break
        except Exception as exc:  # noqa: BLE001 - opening or closing the session failed
            result.errors[f"session ({era}): {type(exc).__name__}: {str(exc)[:200]}"] += 1

    await asyncio.gather(*(one_client(number, token) for number, token in enumerate(tokens)))
    result.seconds = time.perf_counter() - started
    return result


def report(result: LoadResult, *, clients: int, workers: int, database: str, cache: str) -> str:
    lines = [
        f"{clients} MCP clients ({clients - clients // 2} on {MODERN}, {clients // 2} on {LEGACY}), "
        f"{workers} web workers, database {database}, cache {cache}",
        f"{result.calls} tool calls in {result.seconds:.1f} s: {result.calls / result.seconds:.0f} calls/s; "
        f"latency p50 {result.percentile(50):.0f} ms, p99 {result.percentile(99):.0f} ms, max {max(result.latencies_ms, default=0):.0f} ms"
        + (f", mean {statistics.fmean(result.latencies_ms):.0f} ms" if result.latencies_ms else ""),
        "calls by tool: " + ", ".join(f"{tool} {count}" for tool, count in sorted(result.calls_by_tool.items())),
        f"errors: {sum(result.errors.values())} (target 0)",
    ]
    lines += [f"  {count} x {error}" for error, count in result.errors.most_common(20)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes of the web role")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gateway-load-bench-"))
    use_bench_environment(workdir)
    from mcpgateway.spotify_emulator.testing import EmulatorProcess

    with EmulatorProcess() as emulator:
        os.environ.update(SPOTIFY_ACCOUNTS_URL=emulator.accounts_url, SPOTIFY_API_URL=emulator.api_url)
        port = free_port()
        os.environ["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
        tokens = set_up(emulator, args.clients)
        from django.conf import settings

        from mcpgateway.management.process_roles import web_command

        web = start([*web_command(host="127.0.0.1", port=port, workers=args.workers), "--no-access-log", "--log-level", "warning"], port)
        try:
            print(f"Running {args.clients} clients for {args.seconds:.0f} s...", flush=True)
            result = asyncio.run(run_clients(f"http://127.0.0.1:{port}/mcp", tokens, seconds=args.seconds))
        finally:
            web.terminate()
            web.wait(timeout=30)
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        cache = "Redis" if settings.REDIS_URL else "file cache"
        print()
        print(report(result, clients=args.clients, workers=args.workers, database=database, cache=cache))
    if result.errors:
        raise SystemExit(1)


def set_up(emulator, clients: int) -> list[str]:
    """Migrate, then one person a client, each with an emulator grant for a Spotify user of its own
    (with a device, so the playback tools can act) and a personal access token."""
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.services import personal_access_token_create
    from mcpgateway.core.scopes import ALL_SCOPES

    print(f"Setting up: database, {clients} people with emulator grants and personal access tokens", flush=True)
    call_command("migrate", verbosity=0)
    tokens = []
    for number in range(clients):
        name = f"load-{os.getpid()}-{number}"
        user = person_with_grant(emulator, name, spotify_user_id=name, with_device=True)
        tokens.append(personal_access_token_create(user=user, name="load", scopes=ALL_SCOPES, expires_in_days=None)[1])
    return tokens


if __name__ == "__main__":
    main()
