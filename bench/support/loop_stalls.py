"""Event-loop stalls of one gateway worker, written as JSON to <folder>/<pid>.stalls every
second: a ticker on the server's loop stamps the time every 5 ms, and a watchdog thread, waking
every 5 ms, notes a stall when the stamp is older than STALL_MS, with the main thread's stack at that
moment (what the loop was doing instead of answering), when it started (time.monotonic(), so the
bench keeps the measured run's only) and how late the watchdog itself woke at worst meanwhile: a
watchdog late for most of the stall means the whole process was off the CPU (the machine's other
processes had the cores), not that the loop was busy with something of ours."""

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

STALL_MS = 30
TICK_S = 0.005

_stalls: list[dict] = []
_last_tick = [0.0]


_REPOSITORY = str(Path(__file__).resolve().parents[2]) + os.sep
_STDLIB = os.path.dirname(os.__file__) + os.sep


def _where(entry: traceback.FrameSummary) -> str:
    """A frame as `path:line function`, the path from the repository, site-packages or the standard library."""
    path = entry.filename.split("site-packages" + os.sep, 1)[-1].removeprefix(_REPOSITORY).removeprefix(_STDLIB)
    return f"{path}:{entry.lineno} {entry.name}"


def _tick(loop) -> None:
    _last_tick[0] = time.monotonic()
    loop.call_later(TICK_S, _tick, loop)


def _watch(folder: str, main_id: int) -> None:
    path = os.path.join(folder, f"{os.getpid()}.stalls")
    stall, dumped_at, woke = None, time.monotonic(), time.monotonic()
    while True:
        time.sleep(TICK_S)
        now = time.monotonic()
        late_ms, woke = (now - woke - TICK_S) * 1000, now
        last_tick = _last_tick[0]
        age_ms = (now - last_tick) * 1000
        if last_tick and age_ms > STALL_MS:
            if stall is None or stall["started"] != last_tick:
                frame = sys._current_frames().get(main_id)
                stack = [_where(entry) for entry in traceback.extract_stack(frame)][-12:] if frame else []
                stall = {"started": last_tick, "ms": 0.0, "watchdog_late_ms": 0.0, "stack": stack}
                _stalls.append(stall)
            stall["ms"] = round(age_ms, 1)
            stall["watchdog_late_ms"] = max(stall["watchdog_late_ms"], round(late_ms, 1))
        if now - dumped_at >= 1:
            dumped_at = now
            with open(path + ".tmp", "w") as fh:
                json.dump(_stalls, fh)
            os.replace(path + ".tmp", path)


def record(folder: str) -> None:
    import asyncio

    import uvicorn.server

    original = uvicorn.server.Server.startup
    main_id = threading.get_ident()

    async def startup(self, *args, **kwargs):
        loop = asyncio.get_running_loop()
        loop.call_soon(_tick, loop)
        threading.Thread(target=_watch, args=(folder, main_id), name="loop-stalls", daemon=True).start()
        return await original(self, *args, **kwargs)

    uvicorn.server.Server.startup = startup
