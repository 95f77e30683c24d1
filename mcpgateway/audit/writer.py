"""The /mcp tool calls' audit writer: rows are buffered in memory and written in batches by a thread
of their own, so recording a tool call costs the call no database round trip, and a writer that
cannot write (database down, table missing) never fails a call.

- `submit(fields)` prepares the row's values for the database (on the server's loop, where calls
  are recorded) and appends them to a bounded buffer; it returns at once and never raises. A full
  buffer drops its oldest row (counted in `dropped`, with a warning).
- The thread (`audit-writer`, started on first use in each process) writes whatever is buffered every
  AUDIT_FLUSH_INTERVAL_SECONDS, or sooner once AUDIT_BATCH_SIZE rows wait, with multi-row INSERTs
  in one transaction, and does as little else as it can: a thread holding the GIL on a machine
  whose cores are all busy can be descheduled with it, and the loop then waits for it (the tail
  latency of issue #12; `./dev bench wrk_identity --loop-stalls` shows such stalls). A batch that
  fails is logged (counts and the error's class only: no row content) and lost; the writer carries on.
- What is still buffered when the process exits is written then (atexit, and multiprocessing's own
  exit hooks for spawned workers); a process killed outright loses at most one interval's rows.

- Once a batch is written, each person's open dashboard (and the team page) hears of their calls in
  it: one channel-layer event per person per batch (mcpgateway.dashboard.events.tool_calls_announce,
  built and sent on the server's loop), never from the call's path; a channel layer that cannot be
  reached is logged and skipped.

Other audit rows (sign-ins, consents, revocations, admin actions) are written synchronously by
mcpgateway.audit.services, in the transaction of what they record.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import functools
import logging
import multiprocessing.util
import os
import threading
import time
from typing import Any, NamedTuple

from django.conf import settings

logger = logging.getLogger(__name__)

THREAD_NAME = "audit-writer"


class AuditWriter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer: collections.deque[dict[str, Any]] = collections.deque()
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self.dropped = 0  # rows dropped because the buffer was full
        self.failed = 0  # rows lost because their batch could not be written
        self.written = 0
        self._warned_at = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- the request path: memory only ------------------------------------------------------------

    def submit(self, fields: dict[str, Any]) -> None:
        """Buffer one AuditEvent's fields for the writer thread, with the values its INSERT will send
        (prepared here, on the caller's thread: the server's loop, so the writer's thread holds the GIL
        as little as it can). Never raises, never queries."""
        try:
            row = (fields, _prepared(fields))
            with self._lock:
                dropped = 0
                while len(self._buffer) >= max(1, settings.AUDIT_BUFFER_SIZE):
                    self._buffer.popleft()
                    dropped += 1
                self._buffer.append(row)
                waiting = len(self._buffer)
                self.dropped += dropped
            try:
                # The server's loop, where the dashboards' sockets live: written calls are announced there.
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
            if dropped:
                self._warn_dropped()
            self._ensure_thread()
            if waiting >= settings.AUDIT_BATCH_SIZE:
                self._wake.set()
        except Exception as exc:  # noqa: BLE001 - auditing must never fail the call it records
            logger.warning("Could not buffer an audit row (%s)", type(exc).__name__)

    def pending(self) -> int:
        return len(self._buffer)

    def _warn_dropped(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 10:  # at most one warning every 10 seconds
            self._warned_at = now
            logger.warning("Audit buffer full: dropped the oldest rows (%s dropped so far in this process)", self.dropped)

    def _ensure_thread(self) -> None:
        pid = os.getpid()
        if self._thread is not None and self._pid == pid and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == pid and self._thread.is_alive():
                return
            if self._pid != pid and self._pid is not None:
                # A forked child: the parent's rows are the parent's to write.
                self._buffer.clear()
            self._pid = pid
            self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            self._thread.start()

    # --- the writer thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(settings.AUDIT_FLUSH_INTERVAL_SECONDS)
            self._wake.clear()
            self.flush()

    def _take(self, count: int) -> list[tuple[dict[str, Any], list]]:
        with self._lock:
            return [self._buffer.popleft() for _ in range(min(count, len(self._buffer)))]

    def flush(self) -> int:
        """Write everything buffered now; the number of rows written. Never raises."""
        from django.db import close_old_connections

        written = 0
        with self._flush_lock:
            try:
                while batch := self._take(max(1, settings.AUDIT_BATCH_SIZE)):
                    written += self._write(batch)
            finally:
                # The writer thread's own connection, as a request's end would close it; a caller
                # on another thread (shutdown, tests) keeps its connection and its transaction.
                if threading.current_thread() is self._thread:
                    try:
                        close_old_connections()
                    except Exception:  # noqa: BLE001
                        pass
        return written

    def _write(self, batch: list[tuple[dict[str, Any], list]]) -> int:
        from django.contrib.auth import get_user_model
        from django.db import DEFAULT_DB_ALIAS, connections

        try:
            # A person deleted since the call: their rows keep the username snapshot only.
            user_ids = {fields["user_id"] for fields, _ in batch if fields.get("user_id") is not None}
            existing = set(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", flat=True)) if user_ids else set()
            user_column = _statement(connections[DEFAULT_DB_ALIAS].vendor).user_column
            for fields, values in batch:
                if fields.get("user_id") not in existing:
                    fields["user_id"] = values[user_column] = None
        except Exception as exc:  # noqa: BLE001 - logged, never raised: the calls are long answered
            return self._lost(len(batch), exc)
        try:
            _insert([values for _, values in batch])
        except Exception as exc:  # noqa: BLE001
            if len(batch) == 1:
                return self._lost(1, exc)
            # One row the database refuses must not take its batch with it: each on its own.
            written, refused = [], None
            for fields, values in batch:
                try:
                    _insert([values])
                    written.append(fields)
                except Exception as row_exc:  # noqa: BLE001
                    refused = row_exc
            self.written += len(written)
            if refused is not None:
                self._lost(len(batch) - len(written), refused)
            self._announce(written)
            return len(written)
        self.written += len(batch)
        self._announce([fields for fields, _ in batch])
        return len(batch)

    def _announce(self, rows: list) -> None:
        """The people's open dashboards (and the team page) hear of the calls just written: one
        event per person per batch, from this thread; a channel layer that is down costs a warning."""
        from mcpgateway.dashboard.events import tool_calls_announce

        try:
            tool_calls_announce(rows, loop=self._loop)
        except Exception as exc:  # noqa: BLE001 - the rows are written; the pages show them at a reload
            logger.warning("Could not announce written tool calls (%s)", type(exc).__name__)

    def _lost(self, count: int, exc: Exception) -> int:
        self.failed += count
        logger.warning("Could not write %s audit row(s) (%s); %s lost so far in this process", count, type(exc).__name__, self.failed)
        return 0


def _prepared(fields: dict[str, Any]) -> list:
    """One row's values for the INSERT, each prepared by its model field as bulk_create would (the
    database's types: on SQLite a datetime becomes text), without a model instance or the query compiler."""
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    columns = _statement(connection.vendor).fields
    return [field.get_db_prep_save(fields[field.attname] if field.attname in fields else field.get_default(), connection)
            for field in columns]


def _insert(rows: list[list]) -> None:
    """INSERT the rows (prepared values, `_prepared`) in one transaction, as multi-row INSERTs (as
    many rows a statement as the backend's parameter limit allows, bulk_create's way). Why so lean:
    the writer thread holds the GIL while it works in Python, and on a busy machine a thread holding
    the GIL can be taken off the CPU, so the event loop answers no request until it is back; and a
    statement a row (executemany) gives the GIL back and waits for it once a row, holding the
    transaction (on SQLite, the database's write lock every worker needs) all that time."""
    from django.db import DEFAULT_DB_ALIAS, connections, transaction

    # The thread's own connection, once: the `django.db.connection` proxy looks it up at every use.
    connection = connections[DEFAULT_DB_ALIAS]
    statement = _statement(connection.vendor)
    per_statement = max(1, min(ROWS_PER_INSERT, connection.ops.bulk_batch_size(statement.fields, rows)))
    with transaction.atomic(using=DEFAULT_DB_ALIAS), connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            cursor.execute(statement.prefix + ", ".join([statement.row_placeholders] * len(chunk)), [value for row in chunk for value in row])


# Rows in one INSERT at most (PostgreSQL's protocol allows 65,535 parameters a statement; SQLite's
# limit is read by Django's bulk_batch_size).
ROWS_PER_INSERT = 1000


class _Statement(NamedTuple):
    fields: list  # the audit table's insertable model fields, in column order
    prefix: str  # INSERT INTO table (columns) VALUES
    row_placeholders: str  # one row's "(%s, %s, ...)"
    user_column: int  # where a row's user_id is, nulled for a person deleted since the call


@functools.cache
def _statement(vendor: str) -> _Statement:
    """The audit INSERT for the database vendor in use (its quoting), built once."""
    from django.db import connection

    from .models import AuditEvent

    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    prefix = f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
    return _Statement(fields, prefix, f"({', '.join(['%s'] * len(fields))})", [field.attname for field in fields].index("user_id"))


writer = AuditWriter()


def submit(fields: dict[str, Any]) -> None:
    writer.submit(fields)


def flush() -> int:
    return writer.flush()


def _flush_at_exit() -> None:
    if writer.pending() and writer._pid == os.getpid():
        writer.flush()


atexit.register(_flush_at_exit)
# Processes started by multiprocessing (uvicorn --workers) leave through os._exit, which skips
# atexit; multiprocessing runs its own finalizers first.
multiprocessing.util.Finalize(None, _flush_at_exit, exitpriority=10)
