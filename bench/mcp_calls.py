"""Benchmark: one Spotify tool (get_currently_playing) called through the gateway's /mcp (bearer
authentication, session tracking, the Spotify grant, the ASGI bridge) and through a bare `mcp`
MCPServer + uvicorn calling the same emulator (bench/bare_mcp_server.py). Both servers are
separate single-process uvicorn servers measured in the same run on the same machine.

Reported per protocol era (2025-11-25 sessions, 2026-07-28 sessionless): calls per second with one
client calling sequentially and with 20 concurrent sessions, and the server's CPU time per call
(from /proc), with the gateway/bare ratios.

    ./dev bench mcp_calls [--calls 3000] [--concurrency 20] [--repeat 3]

Targets (issue #12): gateway CPU per call at most 1.5x the bare server, throughput at least 0.7x,
in every row. The arms are interleaved (bare, gateway, gateway, bare, ... for every row and
repetition) so that a load change on a shared machine falls on both; each row prints the median
ratio and its spread (min-max) over the repetitions. CPU time per call is the server process's own
(user + system, from /proc), which other processes on the machine disturb much less than wall time.

The gateway runs with its audit trail on, as deployed (AUDIT_TOOL_CALLS defaults to on): every call
is buffered as an audit row and written in batches by the worker's writer thread, whose CPU time is
part of the gateway's (/proc counts every thread of the process). `--no-audit` turns it off to
see what auditing costs; the report says which it was and how many rows the writer stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway_setup import BENCH_CLIENT_ID, free_port, gateway_command, person_with_grant, start, use_bench_environment  # noqa: E402

LEGACY, MODERN = "2025-11-25", "2026-07-28"
TOOL = "get_currently_playing"
ACCEPT = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every row (the report shows their spread)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--no-audit", action="store_true", help="run the gateway with AUDIT_TOOL_CALLS=0")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gateway-mcp-bench-"))
    use_bench_environment(workdir, AUDIT_TOOL_CALLS="0" if args.no_audit else "1")
    from mcpgateway.spotify_emulator.testing import EmulatorProcess

    servers: list[subprocess.Popen] = []
    with EmulatorProcess() as emulator:
        try:
            os.environ.update(SPOTIFY_ACCOUNTS_URL=emulator.accounts_url, SPOTIFY_API_URL=emulator.api_url)
            token, bare_token = set_up(emulator)
            gateway_port, bare_port = free_port(), free_port()
            os.environ["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{gateway_port}"
            gateway = start(gateway_command(gateway_port), gateway_port)
            servers.append(gateway)
            bare_env = {"BENCH_SPOTIFY_API_URL": emulator.api_url, "BENCH_SPOTIFY_ACCESS_TOKEN": bare_token}
            bare = start([sys.executable, str(ROOT / "bench" / "bare_mcp_server.py"), str(bare_port)], bare_port, bare_env)
            servers.append(bare)

            arms = [("bare", f"http://127.0.0.1:{bare_port}/mcp", bare.pid, None),
                    ("gateway", f"http://127.0.0.1:{gateway_port}/mcp", gateway.pid, token)]
            results: dict = {}
            for repetition in range(args.repeat):
                for era in (LEGACY, MODERN):
                    for sessions in (1, args.concurrency):
                        # Alternate which arm goes first, so neither always runs on the warmer machine.
                        for label, url, pid, bearer in arms if repetition % 2 == 0 else arms[::-1]:
                            print(f"  #{repetition + 1} {label:8} {era} {sessions:2} session(s): {args.calls} calls...", flush=True)
                            results.setdefault((label, era, sessions), []).append(
                                asyncio.run(measure(url, pid, bearer, era, sessions, args.calls)))
                        bare_run, gateway_run = results[("bare", era, sessions)][-1], results[("gateway", era, sessions)][-1]
                        print(f"    -> throughput {gateway_run['calls_per_s'] / bare_run['calls_per_s']:.2f}x, "
                              f"CPU per call {gateway_run['cpu_ms']:.2f} / {bare_run['cpu_ms']:.2f} ms = "
                              f"{gateway_run['cpu_ms'] / bare_run['cpu_ms']:.2f}x", flush=True)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    report(results, args, audited_calls())


def set_up(emulator) -> tuple[str, str]:
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.services import personal_access_token_create
    from mcpgateway.core.scopes import ALL_SCOPES

    print("Setting up: database, emulator grants, a personal access token", flush=True)
    call_command("migrate", verbosity=0)
    user = person_with_grant(emulator, "bench")
    bare = emulator.mint_grants(BENCH_CLIENT_ID, user_ids=["alice"])
    _row, plaintext = personal_access_token_create(user=user, name="bench", scopes=ALL_SCOPES, expires_in_days=None)
    return plaintext, bare[0]["access_token"]


def audited_calls() -> int:
    """Tool-call audit rows the gateway stored (its writer flushes what is left when it stops)."""
    from mcpgateway.audit.models import AuditEvent

    return AuditEvent.objects.filter(kind=AuditEvent.Kind.TOOL_CALL).count()


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def messages_of(response) -> list[dict]:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:") and line[5:].strip()]
    return [response.json()] if response.content else []


class Session:
    def __init__(self, http, url: str, bearer: str | None, era: str):
        self.http, self.url, self.era = http, url, era
        self.headers = dict(ACCEPT)
        if bearer:
            self.headers["Authorization"] = f"Bearer {bearer}"
        self.next_id = 1

    async def open(self) -> None:
        if self.era == MODERN:
            self.headers.update({"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": TOOL})
            return
        init = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
        response = await self.http.post(self.url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init}, headers=self.headers)
        response.raise_for_status()
        self.headers.update({"Mcp-Session-Id": response.headers["mcp-session-id"], "MCP-Protocol-Version": LEGACY})
        await self.http.post(self.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=self.headers)

    async def call(self) -> None:
        params: dict = {"name": TOOL, "arguments": {}}
        if self.era == MODERN:
            params["_meta"] = MODERN_META
        self.next_id += 1
        response = await self.http.post(self.url, json={"jsonrpc": "2.0", "id": self.next_id, "method": "tools/call", "params": params}, headers=self.headers)
        result = [m for m in messages_of(response) if "result" in m or "error" in m]
        if response.status_code != 200 or not result or "error" in result[-1] or result[-1]["result"].get("isError"):
            raise SystemExit(f"{self.url} answered {response.status_code}: {response.text[:300]}")


async def measure(url: str, pid: int, bearer: str | None, era: str, sessions: int, calls: int) -> dict:
    import httpx

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=sessions + 2), timeout=30) as http:
        clients = [Session(http, url, bearer, era) for _ in range(sessions)]
        for client in clients:
            await client.open()
        for client in clients:  # warm up every connection and the server's caches
            for _ in range(3):
                await client.call()
        per_client = calls // sessions

        async def run(client: Session) -> None:
            for _ in range(per_client):
                await client.call()

        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(run(c) for c in clients))
        cpu1, t1 = cpu_seconds(pid), time.perf_counter()
    done = per_client * sessions
    return {"calls_per_s": done / (t1 - t0), "cpu_ms": 1000 * (cpu1 - cpu0) / done}


def spread(values: list[float], fmt: str) -> str:
    """The median, and min-max when there are several values."""
    values = sorted(values)
    median = statistics.median(values)
    return format(median, fmt) if len(values) == 1 else f"{median:{fmt}} ({values[0]:{fmt}}-{values[-1]:{fmt}})"


def report(results: dict, args, audited: int) -> None:
    print()
    print(f"MCP tool call benchmark ({TOOL}, {args.calls} calls per row and arm, {args.repeat} repetition(s), arms interleaved; "
          "server CPU from /proc; median (min-max) over the repetitions)")
    print(f"{'era':11}{'sessions':>9}  {'bare calls/s':>16}{'gateway calls/s':>18}{'throughput ratio':>22}"
          f"{'bare CPU ms':>20}{'gateway CPU ms':>20}{'CPU ratio':>22}")
    worst_cpu, worst_tput = 0.0, float("inf")
    for era in (LEGACY, MODERN):
        for sessions in (1, args.concurrency):
            bare, gw = results[("bare", era, sessions)], results[("gateway", era, sessions)]
            # Ratios of the same repetition: its two arms ran back to back.
            tput = [g["calls_per_s"] / b["calls_per_s"] for b, g in zip(bare, gw)]
            cpu = [g["cpu_ms"] / b["cpu_ms"] for b, g in zip(bare, gw)]
            worst_cpu, worst_tput = max(worst_cpu, statistics.median(cpu)), min(worst_tput, statistics.median(tput))
            print(f"{era:11}{sessions:>9}  {spread([b['calls_per_s'] for b in bare], '.0f'):>16}"
                  f"{spread([g['calls_per_s'] for g in gw], '.0f'):>18}{spread(tput, '.2f'):>22}"
                  f"{spread([b['cpu_ms'] for b in bare], '.2f'):>20}{spread([g['cpu_ms'] for g in gw], '.2f'):>20}{spread(cpu, '.2f'):>22}")
    print(f"worst median ratios: CPU per call {worst_cpu:.2f}x (target <= 1.5x), throughput {worst_tput:.2f}x (target >= 0.7x)")
    if args.no_audit:
        print(f"gateway audit trail: off (--no-audit); {audited} tool-call rows stored")
    else:
        print(f"gateway audit trail: on, as deployed; {audited} tool-call rows stored by the worker's writer thread "
              "(batched, off the request path; its CPU is in the gateway's column)")


if __name__ == "__main__":
    main()
