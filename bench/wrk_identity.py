"""Benchmark: the tail latency of /mcp under wrk: `get_gateway_identity` (2026-07-28, JSON replies)
with 16 connections against 1 and 2 gateway workers (uvicorn --workers), each variant 3 times.

wrk is a separate program: installed here with Debian's package when run as root with apt-get, else `apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS), or
build it from https://github.com/wg/wrk.

    ./dev bench wrk_identity [--seconds 15] [--connections 16] [--wrk-threads 2] [--repeat 3] [--workers 1 2]

Besides "as deployed", variants switch one suspect off at a time, so the report shows what stalls:
- `no-audit`: AUDIT_TOOL_CALLS=0 (the audit writer thread's batched INSERTs, and on SQLite its
  write lock shared by every worker);
- `no-touch`: MCP_SESSION_TOUCH_SECONDS=86400 (the connection row's last-seen UPDATE, once a minute);
- every run also counts each worker's garbage collections and their CPU time (a `sitecustomize`
  this bench puts on the workers' PYTHONPATH records gc.callbacks; bench/support/gc_pauses.py);
  with --loop-stalls, also its event loop's stalls over 30 ms: whether the worker process was off
  the CPU meanwhile, and if not, where the loop was (bench/support/loop_stalls.py; its watchdog
  thread wakes every 5 ms and takes the GIL each time, so the headline numbers are measured without);
- `no-gc-freeze`: the workers without the gateway's gc.freeze() and young-generation threshold at
  startup (mcpgateway.core.lifespan), which the same sitecustomize turns into no-ops: every full
  collection then walks everything the worker loaded;
- `uuid4-ids`: request ids from uuid4 (a system call, os.urandom, on every request, where the loop
  gives the GIL back) instead of `random` (mcpgateway.core.request_ids.new_request_id).

Target (issue #12): p99 < 40 ms at 16 connections on 2 workers.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway_setup import free_port, gateway_command, person_with_grant, start, use_bench_environment  # noqa: E402
from support.loop_stalls import STALL_MS  # noqa: E402

MODERN = "2026-07-28"
TOOL = "get_gateway_identity"
VARIANTS = {
    "as deployed": {},
    "no-audit": {"AUDIT_TOOL_CALLS": "0"},
    "no-touch": {"MCP_SESSION_TOUCH_SECONDS": "86400"},
    "no-gc-freeze": {"BENCH_NO_GC_FREEZE": "1"},
    "uuid4-ids": {"BENCH_UUID4_REQUEST_IDS": "1"},
}
LUA = """
wrk.method = "POST"
wrk.body = [[%(body)s]]
%(headers)s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2,
                        help="wrk's threads (on a machine with few cores they take CPU from the workers they measure)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--loop-stalls", action="store_true",
                        help="record the workers' event-loop stalls (a watchdog thread a worker, waking every 5 ms: it disturbs what it measures)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        # As ./dev test installs chromium: where the machine lets us, the bench brings what it needs.
        print("==> Installing wrk (Debian's package) for this benchmark", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS), "
                         "or build it from https://github.com/wg/wrk")

    workdir = Path(tempfile.mkdtemp(prefix="gateway-wrk-bench-"))
    use_bench_environment(workdir, MCP_JSON_RESPONSE="1")
    from mcpgateway.spotify_emulator.testing import EmulatorProcess

    results: dict = {}
    with EmulatorProcess() as emulator:
        os.environ.update(SPOTIFY_ACCOUNTS_URL=emulator.accounts_url, SPOTIFY_API_URL=emulator.api_url)
        token = set_up(emulator)
        script = workdir / "identity.lua"
        script.write_text(lua_script(token))
        for repetition in range(args.repeat):
            for workers in args.workers:
                for variant in args.variants:
                    print(f"  #{repetition + 1} {workers} worker(s), {variant}: wrk {args.seconds} s...", flush=True)
                    results.setdefault((workers, variant), []).append(run(workdir, script, workers, VARIANTS[variant], args))
    report(results, args)


def set_up(emulator) -> str:
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.services import personal_access_token_create
    from mcpgateway.core.scopes import ALL_SCOPES

    print("Setting up: database, a personal access token", flush=True)
    call_command("migrate", verbosity=0)
    user = person_with_grant(emulator, "bench")
    return personal_access_token_create(user=user, name="bench", scopes=ALL_SCOPES, expires_in_days=None)[1]


def lua_script(token: str) -> str:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": TOOL, "arguments": {}, "_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "wrk", "version": "1"}}}}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": TOOL}
    return LUA % {"body": json.dumps(body), "headers": "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())}


def run(workdir: Path, script: Path, workers: int, extra_env: dict, args) -> dict:
    port = free_port()
    gc_dir = Path(tempfile.mkdtemp(dir=workdir, prefix="gc-"))
    env = {**extra_env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "BENCH_GC_PAUSES_DIR": str(gc_dir),
           **({"BENCH_LOOP_STALLS_DIR": str(gc_dir)} if args.loop_stalls else {}),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "bench" / "support"), os.environ.get("PYTHONPATH", "")])}
    server = start(gateway_command(port) + ["--workers", str(workers)], port, env)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        # Warm up every worker (imports, caches, the connection row) before measuring.
        subprocess.run(["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", "-d3s", "-s", str(script), url], check=True, capture_output=True)
        time.sleep(0.5)
        measured_from = time.monotonic()  # collections of the start-up and the warm-up are not the run's
        out = subprocess.run(["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-s", str(script), url],
                             check=True, capture_output=True, text=True).stdout
    finally:
        server.terminate()
        server.wait(timeout=20)
    result = parse_wrk(out)
    result.update(gc_summary(gc_dir, measured_from))
    result.update(stall_summary(gc_dir, measured_from))
    return result


def stall_summary(gc_dir: Path, measured_from: float) -> dict:
    """The run's loop stalls (bench/support/loop_stalls.py): how many, how many of them with the
    process off the CPU, and the stacks of the others (the loop busy with something)."""
    stalls = []
    for path in gc_dir.glob("*.stalls"):
        stalls += [stall for stall in json.loads(path.read_text()) if stall["started"] >= measured_from]
    off_cpu = [stall for stall in stalls if stall["watchdog_late_ms"] >= stall["ms"] / 2]
    busy = [stall for stall in stalls if stall not in off_cpu]
    return {"stalls": len(stalls), "stalls_off_cpu": len(off_cpu), "stall_max_ms": max((s["ms"] for s in stalls), default=0.0),
            "busy_stacks": [" <- ".join(reversed(stall["stack"][-6:])) for stall in busy]}


def parse_wrk(out: str) -> dict:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    percentiles = {int(p): ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": percentiles[50], "p99": percentiles[99],
            "errors": int(errors.group(1)) if errors else 0}


def gc_summary(gc_dir: Path, measured_from: float) -> dict:
    pauses = []
    for path in gc_dir.glob("*.json"):
        pauses += [(generation, ms) for generation, ms, started in json.loads(path.read_text())["pauses"] if started >= measured_from]
    full = [ms for generation, ms in pauses if generation == 2]
    return {"gc_count": len(pauses), "gc_max_ms": max((ms for _, ms in pauses), default=0.0), "gc2_count": len(full),
            "gc2_max_ms": max(full, default=0.0)}


def spread(values: list[float], fmt: str) -> str:
    values = sorted(values)
    median = statistics.median(values)
    return format(median, fmt) if len(values) == 1 else f"{median:{fmt}} ({values[0]:{fmt}}-{values[-1]:{fmt}})"


def report(results: dict, args) -> None:
    print()
    print(f"wrk: {TOOL} ({MODERN}, JSON replies), {args.connections} connections on {args.wrk_threads} thread(s), {args.seconds} s a run, {args.repeat} repetition(s); "
          "median (min-max)")
    print(f"{'workers':>7}  {'variant':12}{'calls/s':>22}{'p50 ms':>20}{'p99 ms':>22}{'non-2xx':>9}{'GCs':>8}{'max GC ms':>11}"
          f"{'full GCs':>10}{'max full GC ms':>16}" + (f"{'stalls':>8}{'off-CPU':>9}{'max stall ms':>14}" if args.loop_stalls else ""))
    for (workers, variant), runs in results.items():
        print(f"{workers:>7}  {variant:12}{spread([r['rps'] for r in runs], '.0f'):>22}{spread([r['p50'] for r in runs], '.1f'):>20}"
              f"{spread([r['p99'] for r in runs], '.1f'):>22}{sum(r['errors'] for r in runs):>9}"
              f"{statistics.median([r['gc_count'] for r in runs]):>8.0f}{max(r['gc_max_ms'] for r in runs):>11.1f}"
              f"{statistics.median([r['gc2_count'] for r in runs]):>10.0f}{max(r['gc2_max_ms'] for r in runs):>16.1f}"
              + (f"{statistics.median([r['stalls'] for r in runs]):>8.0f}{statistics.median([r['stalls_off_cpu'] for r in runs]):>9.0f}"
                 f"{max(r['stall_max_ms'] for r in runs):>14.1f}" if args.loop_stalls else ""))
    print("GC times are CPU times of the collecting thread (a full GC walks every tracked object not frozen by gc.freeze)")
    if args.loop_stalls:
        print(f"stalls: the workers' event loops not turning for over {STALL_MS} ms; off-CPU: of those, the ones with the whole "
              "worker process off the CPU (the machine's other processes had the cores)")
        busy = collections.Counter(stack for runs in results.values() for r in runs for stack in r["busy_stacks"])
        for stack, count in busy.most_common(5):
            print(f"  loop stalled, process on the CPU, {count}x at: {stack}")
    two = results.get((2, "as deployed"))
    if two:
        p99 = statistics.median(r["p99"] for r in two)
        print(f"target (p99 < 40 ms, 2 workers, as deployed): {'met' if p99 < 40 else 'NOT met'} (median p99 {p99:.1f} ms)")


if __name__ == "__main__":
    main()
