"""Heartbeats of the Celery worker and beat, so /healthz can tell that they are alive.

Each writes the time into the shared cache every HEARTBEAT_INTERVAL_SECONDS (the file cache on one
machine, Redis when REDIS_URL is set, so every web worker sees them); /healthz reports their age
and goes red when one is older than HEARTBEAT_MAX_AGE_SECONDS. Without a live worker and beat
nobody refreshes Spotify tokens, and people find out only when their assistant fails.
"""

from __future__ import annotations

import logging
import time

from celery import bootsteps
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

ROLES = ("celery_worker", "celery_beat")


def heartbeat_key(role: str) -> str:
    """The cache key of `role`'s heartbeat (the time it last wrote one)."""
    return f"mcpgateway:heartbeat:{role}"


def heartbeat_write(role: str) -> None:
    from django.core.cache import cache

    try:
        cache.set(heartbeat_key(role), time.time(), timeout=None)
    except Exception:  # a heartbeat that cannot be written shows as a stale one on /healthz
        logger.warning("Could not write the %s heartbeat", role, exc_info=True)


def heartbeat_age(role: str) -> float | None:
    """Seconds since `role` last wrote its heartbeat; None when it never has."""
    from django.core.cache import cache

    written = cache.get(heartbeat_key(role))
    return None if written is None else max(0.0, time.time() - float(written))


def _interval() -> float:
    from django.conf import settings

    return float(settings.HEARTBEAT_INTERVAL_SECONDS)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A Celery worker bootstep: the worker's own timer writes its heartbeat."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker):
        heartbeat_write("celery_worker")
        self.timer_entry = worker.timer.call_repeatedly(_interval(), heartbeat_write, ("celery_worker",), priority=10)

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's file-backed scheduler, which also writes beat's heartbeat as it ticks."""

    def __init__(self, *args, **kwargs):
        self.heartbeat_written_at = 0.0
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        interval = _interval()
        if time.monotonic() - self.heartbeat_written_at >= interval:
            heartbeat_write("celery_beat")
            self.heartbeat_written_at = time.monotonic()
        # Beat sleeps until its next task is due; wake at least once an interval to beat again.
        return min(super().tick(*args, **kwargs), interval)
