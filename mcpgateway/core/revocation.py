"""A shared "revocation epoch": a value every process can read cheaply and that changes whenever a
credential or an MCP session is revoked anywhere.

Workers cache what they verified (tokens, sessions) together with the epoch they saw; when the
epoch changes, every worker drops its cache at its next request, so a revocation bites at once on
every worker without a database query per request. The epoch lives in Redis when `REDIS_URL` is
set (one GET per request), else in a file under VAR_DIR (one small read), which every process of
one machine shares. Bumps write a fresh random value, never a counter, so two revocations racing
each other can never leave the value where a reader last saw it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction

REDIS_KEY = "mcpgateway:revocation-epoch"
_redis_clients: dict[int, object] = {}


def _epoch_file() -> Path:
    return Path(settings.VAR_DIR) / "revocation-epoch"


def bump_revocation_epoch() -> None:
    """Call after a revocation is committed (on_commit), never before."""
    value = secrets.token_hex(8)
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            client.set(REDIS_KEY, value)
        finally:
            client.close()
        return
    path = _epoch_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".revocation-epoch.")
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    os.replace(tmp, path)


def bump_revocation_epoch_on_commit() -> None:
    """Move the epoch once the current transaction commits (at once outside one).

    One bump per transaction is enough however many rows it revokes: deleting a client with a
    thousand tokens sends a thousand signals, not a thousand epoch writes."""
    if connection.in_atomic_block and any(callback is bump_revocation_epoch for _sids, callback, _robust in connection.run_on_commit):
        return
    transaction.on_commit(bump_revocation_epoch)


def _redis_for_this_loop():
    import redis.asyncio as aioredis

    loop_id = id(asyncio.get_running_loop())
    client = _redis_clients.get(loop_id)
    if client is None:
        client = _redis_clients[loop_id] = aioredis.Redis.from_url(settings.REDIS_URL)
    return client


async def current_revocation_epoch() -> str:
    if settings.REDIS_URL:
        value = await _redis_for_this_loop().get(REDIS_KEY)
        return value.decode() if value else ""
    try:
        return _epoch_file().read_text()
    except FileNotFoundError:
        return ""


def current_revocation_epoch_sync() -> str:
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            value = client.get(REDIS_KEY)
        finally:
            client.close()
        return value.decode() if value else ""
    try:
        return _epoch_file().read_text()
    except FileNotFoundError:
        return ""


class EpochCache:
    """A per-process LRU of what a worker read from the database, valid for one revocation epoch.

    Every lookup names the epoch its request read; when that differs from the cache's, everything
    is dropped. A value is stored only under the epoch it was read under: a row read before a
    revocation committed elsewhere must never be kept once the epoch has moved past it.
    """

    def __init__(self, size: int = 10_000):
        self.size = size
        self.epoch: str | None = None
        self.entries: OrderedDict = OrderedDict()

    def get(self, key, epoch: str, default=None):
        if epoch != self.epoch:
            self.entries.clear()
            self.epoch = epoch
        value = self.entries.get(key, default)
        if key in self.entries:
            self.entries.move_to_end(key)
        return value

    def put(self, key, value, epoch: str) -> None:
        if self.epoch is None:
            self.epoch = epoch
        if epoch != self.epoch:
            return  # read under an older (or newer) epoch than the cache holds: not safe to keep
        self.entries[key] = value
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def replace(self, key, value) -> None:
        """A newer copy of something already cached (kept only if it still is)."""
        if key in self.entries:
            self.entries[key] = value

    def clear(self) -> None:
        self.entries.clear()
        self.epoch = None


class RevocationQuerySet(models.QuerySet):
    """A QuerySet.update() sends no signal, so an update of a field /mcp caches (revocation,
    expiry, scopes) moves the revocation epoch itself: every worker rereads the rows at its next
    request. Updates of other fields ("last seen") leave the epoch, and the caches, alone."""

    revoking_fields: frozenset[str] = frozenset()

    def update(self, **kwargs):
        updated = super().update(**kwargs)
        if updated and self.revoking_fields.intersection(kwargs):
            bump_revocation_epoch_on_commit()
        return updated
