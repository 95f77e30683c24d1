"""A shared "revocation epoch": a value every process can read cheaply and that changes whenever a
credential or an MCP session is revoked anywhere.

Workers cache what they verified (tokens, sessions) together with the epoch they saw; when the
epoch changes, every worker drops its cache at its next request, so a revocation bites at once on
every worker without a database query per request. The epoch lives in Redis when `REDIS_URL` is
set (one GET per request), else in a file under VAR_DIR (one stat per request while it is
unchanged), which every process of one machine shares. Bumps write a fresh random value, never a
counter, so two revocations racing each other can never leave the value where a reader last saw it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.db import connection, models, transaction

REDIS_KEY = "mcpgateway:revocation-epoch"
# The channels group every worker listens on for revocations (mcpgateway.mcp.streams): the
# credentials (and people) whose open /mcp streams end at once.
REVOCATION_GROUP = "mcpgateway.revocations"
REVOCATION_MESSAGE_TYPE = "revocation.announce"
_redis_clients: dict[int, object] = {}
logger = logging.getLogger(__name__)


def _epoch_file() -> str:
    return os.path.join(settings.VAR_DIR, "revocation-epoch")


# The file's epoch as last read, keyed by what os.stat says of the file: (path, inode, mtime,
# size) -> value. A request then costs one stat, not an open, a read and a close (it is on every
# /mcp request). Bumps replace the file (a new inode, a new mtime), so any bump changes the key,
# except one that reuses a freed inode within the same timestamp tick as the file it replaces: a
# file younger than FILE_EPOCH_SETTLED_NS is therefore never cached, only read.
FILE_EPOCH_SETTLED_NS = 1_000_000_000
_file_epoch: tuple[tuple, str] | None = None


def _read_epoch_file() -> str:
    global _file_epoch
    path = _epoch_file()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return ""
    key = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _file_epoch
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        with open(path, encoding="ascii") as fh:
            value = fh.read()
    except FileNotFoundError:
        return ""
    # Read after the stat: the value is that file's or a later one's; a later one has another key,
    # so the next request reads again.
    if time.time_ns() - stat.st_mtime_ns > FILE_EPOCH_SETTLED_NS:
        _file_epoch = (key, value)
    return value


def bump_revocation_epoch() -> None:
    """Call after a revocation is committed (on_commit), never before.

    With Redis unreachable the bump is lost and logged, never raised: the revocation is committed
    and every worker that cannot read the epoch reads the database at each request instead
    (current_revocation_epoch), so it is enforced all the same."""
    value = secrets.token_hex(8)
    if settings.REDIS_URL:
        if not _set_epoch_in_redis(value):
            logger.warning("The revocation epoch could not be moved: Redis is unreachable; retrying until it is back")
            _owe_bump()
        return
    path = _epoch_file()
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".revocation-epoch.")
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    os.replace(tmp, path)


def _set_epoch_in_redis(value: str) -> bool:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.set(REDIS_KEY, value)
        return True
    except redis.RedisError:
        return False
    finally:
        client.close()


# A bump Redis could not take is owed, and paid by a background thread as soon as Redis answers
# again. Without it a worker that never saw the outage (Redis restarted from its snapshot, or a
# network split between Redis and this process only) would read the old epoch and keep trusting
# what it cached before the revocation. A process that could not *read* the epoch owes one too:
# a revocation may have been made during the outage by a process that has died since.
_owed_lock = threading.Lock()
_owed = False  # under _owed_lock
_owed_thread: threading.Thread | None = None  # under _owed_lock; None when no thread runs
OWED_BUMP_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)


def _owe_bump() -> None:
    global _owed, _owed_thread
    with _owed_lock:
        _owed = True
        if _owed_thread is None:
            _owed_thread = threading.Thread(target=_pay_owed_bump, name="revocation-epoch-retry", daemon=True)
            _owed_thread.start()


def _pay_owed_bump() -> None:
    global _owed, _owed_thread
    attempt = 0
    while True:
        with _owed_lock:  # decided under the lock, so a bump owed meanwhile is never left behind
            if not _owed or not settings.REDIS_URL:  # no longer a Redis epoch: a test's settings restored
                _owed, _owed_thread = False, None
                return
            _owed = False
        time.sleep(OWED_BUMP_RETRY_SECONDS[min(attempt, len(OWED_BUMP_RETRY_SECONDS) - 1)])
        attempt += 1
        if _set_epoch_in_redis(secrets.token_hex(8)):
            logger.info("Redis answers again: the revocation epoch moved, every worker rereads what it cached")
            attempt = 0
        else:
            with _owed_lock:
                _owed = True


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
        client = _redis_clients[loop_id] = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
    return client


def announce_revocation_on_commit(*, credential_ids=(), user_ids=()) -> None:
    """Once the current transaction commits, tell every worker (the channel layer's
    REVOCATION_GROUP) to close the open /mcp streams of these credentials, or of these people.

    The epoch is what enforces a revocation; this only makes open streams end at once instead of at
    their next event. A channel layer that cannot be reached is logged, never raised."""
    message = {"type": REVOCATION_MESSAGE_TYPE, "credential_ids": sorted(set(credential_ids)),
               "user_ids": sorted(set(user_ids))}
    if message["credential_ids"] or message["user_ids"]:
        transaction.on_commit(lambda: announce_revocation(message))


def announce_revocation(message: dict) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(REVOCATION_GROUP, message)
    except Exception as exc:  # noqa: BLE001 - Redis down: the epoch (or the database) still enforces it
        logger.warning("A revocation could not be announced to the other workers: %s", type(exc).__name__)


def _unavailable_epoch() -> str:
    """An epoch no cache holds: with Redis unreachable every request reads the database, the source
    of truth, so a revocation is enforced at the next request all the same."""
    return f"unavailable:{secrets.token_hex(8)}"


async def current_revocation_epoch() -> str:
    if settings.REDIS_URL:
        import redis

        try:
            value = await _redis_for_this_loop().get(REDIS_KEY)
        except (redis.RedisError, OSError):
            logger.warning("The revocation epoch could not be read: Redis is unreachable")
            _owe_bump()
            return _unavailable_epoch()
        return value.decode() if value else ""
    return _read_epoch_file()


def current_revocation_epoch_sync() -> str:
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            value = client.get(REDIS_KEY)
        except redis.RedisError:
            logger.warning("The revocation epoch could not be read: Redis is unreachable")
            _owe_bump()
            return _unavailable_epoch()
        finally:
            client.close()
        return value.decode() if value else ""
    return _read_epoch_file()


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
