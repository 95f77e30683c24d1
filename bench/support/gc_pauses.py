"""Garbage collections of one process, written as JSON to <folder>/<pid>.json every second (a
worker's atexit is not reliable when its parent stops it): each collection's generation, the CPU
time it took (thread CPU time, so a busy machine that takes the CPU away mid-collection does not
inflate it) and when it started (time.monotonic(): one clock for every process of the machine, so the
bench keeps only the collections of its measured run, not those of the worker's start-up).

It does not count the tracked objects any more: gc.get_objects() from another thread can catch a
tuple that `tuple(generator)` is still filling, and CPython 3.12.1 then fails that tuple's resize
with "SystemError: Objects/tupleobject.c:909: bad argument to internal function" (it killed a
worker while it built pydantic schemas)."""

import gc
import json
import os
import threading
import time

_pauses: list[list] = []
_started: dict[str, float] = {}


def _callback(phase: str, info: dict) -> None:
    if phase == "start":
        _started["at"], _started["when"] = time.thread_time(), time.monotonic()
    elif "at" in _started:
        _pauses.append([info["generation"], round((time.thread_time() - _started.pop("at")) * 1000, 3), _started["when"]])


def record(folder: str) -> None:
    gc.callbacks.append(_callback)
    path = os.path.join(folder, f"{os.getpid()}.json")

    def dump() -> None:
        while True:
            time.sleep(1)
            with open(path + ".tmp", "w") as fh:
                json.dump({"pauses": _pauses, "frozen": gc.get_freeze_count()}, fh)
            os.replace(path + ".tmp", path)

    threading.Thread(target=dump, name="gc-pauses", daemon=True).start()
