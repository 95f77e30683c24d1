"""What a worker keeps of the sessions it tracks (mcpgateway/mcp/session_tracking.py). The protocol
behaviour of sessions is tests/mcpgateway/mcp/test_sessions.py."""

import asyncio
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from mcpgateway.core.revocation import current_revocation_epoch
from mcpgateway.mcp import session_tracking
from mcpgateway.mcp.auth import authenticate_bearer
from mcpgateway.mcp.models import McpSession
from mcpgateway.mcp.session_tracking import ClientInfo, SessionState, mcp_session_end, mcp_session_find, mcp_session_start
from tests.conftest import make_personal_access_token
from tests.mcpgateway.mcp.conftest import LEGACY, bearer, legacy_call, legacy_session
from tests.support.processes import GatewayProcesses

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = ClientInfo(name="idle-client", protocol_version="2025-11-25")


@pytest.fixture(autouse=True)
def empty_cache():
    session_tracking._cache.clear()
    yield
    session_tracking._cache.clear()


def test_idle_sessions_are_kept_small_and_share_their_strings(person):
    """10,000 idle sessions must cost a worker under 5 MB (bench/idle_sessions.py): no per-instance
    __dict__, one copy of a client's name, one int for the id and the key."""
    token = make_personal_access_token(person)

    async def start_two():
        epoch = await current_revocation_epoch()
        principal = await authenticate_bearer(token, epoch=epoch)
        client = ClientInfo(name="".join(["idle", "-client"]), protocol_version="2025-11-25")
        first = await mcp_session_start(principal=principal, client=client, epoch=epoch)
        second = await mcp_session_start(principal=principal, client=client, epoch=epoch)
        # A worker that did not start the session reads the row: the same sharing applies.
        session_tracking._cache.clear()
        found = await mcp_session_find(session_id=second.id.hex, principal=principal, epoch=epoch)
        return first, second, found

    first, second, found = asyncio.run(start_two())
    for state in (first, second, found):
        assert not hasattr(state, "__dict__")
    assert first.client_name is second.client_name is found.client_name
    assert found.key in session_tracking._cache.entries
    assert all(key is state.key for key, state in session_tracking._cache.entries.items())


@override_settings(MCP_SESSION_CACHE_SIZE=2000)
def test_a_cached_session_costs_a_worker_under_250_bytes():
    """What the cache holds for each idle session, its entry included (a slotted dataclass of a UUID
    and two datetimes cost about 410 bytes: 10,000 sessions were 4 MB of the 5 MB budget)."""
    now = datetime.now(UTC)
    rows = [{"id": uuid.uuid4(), "user_id": 70_000 + index % 50, "client_name": "".join(["idle", "-client"]), "revoked_at": None,
             "ended_at": None, "expires_at": now + timedelta(days=30), "last_seen_at": now} for index in range(2000)]

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for row in rows:
            state = session_tracking._state(row)
            session_tracking._remember(state.key, state, "budget")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert len(session_tracking._cache.entries) == len(rows)
    assert held / len(rows) < 250, f"{held / len(rows):.0f} bytes a session"


def test_a_state_remembers_what_its_row_says():
    seen = datetime(2026, 11, 30, 18, 45, 12, 345_678, tzinfo=UTC)
    row = {"id": uuid.uuid4(), "user_id": 2**40 + 7, "client_name": "claude", "revoked_at": None, "ended_at": None,
           "expires_at": seen + timedelta(days=30), "last_seen_at": seen}

    state = session_tracking._state(row)

    assert state.id == row["id"] and state.user_id == row["user_id"] and state.client_name == "claude"
    # Kept to the millisecond, rounded down: an expiry is never later than the row's.
    assert state.last_seen_at == seen.replace(microsecond=345_000)
    assert state.expires_at == (seen + timedelta(days=30)).replace(microsecond=345_000)
    assert not state.closed and state.usable(seen)
    assert not state.usable(seen + timedelta(days=30))

    state.last_seen_at = seen + timedelta(minutes=5)
    state.closed = True
    assert (state.user_id, state.last_seen_at, state.closed) == (row["user_id"], seen.replace(microsecond=345_000) + timedelta(minutes=5), True)
    assert state.expires_at == (seen + timedelta(days=30)).replace(microsecond=345_000)
    assert not state.usable(seen)

    never = session_tracking._state({**row, "expires_at": None, "last_seen_at": None, "ended_at": seen})
    assert never.expires_at is None and never.last_seen_at is None and never.closed
    assert isinstance(never, SessionState)


@override_settings(MCP_SESSION_CACHE_SIZE=1)
def test_a_session_dropped_from_a_full_cache_still_works_and_still_ends_and_expires(person, monkeypatch):
    """The cache keeps MCP_SESSION_CACHE_SIZE sessions; the next request of one it dropped reads the
    row again (one query by primary key) and gets what the row says: usable, ended, or expired."""
    token = make_personal_access_token(person)

    async def principal_and_epoch():
        epoch = await current_revocation_epoch()
        return await authenticate_bearer(token, epoch=epoch), epoch

    async def start():
        principal, epoch = await principal_and_epoch()
        return await mcp_session_start(principal=principal, client=CLIENT, epoch=epoch)

    async def find(state):
        principal, epoch = await principal_and_epoch()
        return await mcp_session_find(session_id=state.id.hex, principal=principal, epoch=epoch)

    first = async_to_sync(start)()
    second = async_to_sync(start)()
    assert list(session_tracking._cache.entries) == [second.key]  # the first was dropped

    async_to_sync(principal_and_epoch)()  # the token is cached: what follows counts the session's queries only
    with CaptureQueriesContext(connection) as queries:
        found = async_to_sync(find)(first)
    assert found is not None and found.id == first.id and found.user_id == person.pk and found.client_name == "idle-client"
    assert len(queries) == 1, [query["sql"] for query in queries]
    assert list(session_tracking._cache.entries) == [first.key]

    # Ended (DELETE): the epoch moved, the cache is emptied at the next request, the row says so.
    async_to_sync(mcp_session_end)(state=found)
    assert async_to_sync(find)(first) is None
    assert McpSession.objects.get(pk=first.id).ended_at is not None

    # Expired: refused whether it is cached or read again.
    expired = McpSession.objects.get(pk=second.id).expires_at + timedelta(seconds=1)
    later = SimpleNamespace(now=lambda: expired)
    assert async_to_sync(find)(second) is not None
    monkeypatch.setattr(session_tracking, "timezone", later)
    assert second.key in session_tracking._cache.entries
    assert async_to_sync(find)(second) is None
    session_tracking._cache.clear()
    assert async_to_sync(find)(second) is None


def test_a_worker_keeping_one_session_serves_many(person):
    """A worker run with MCP_SESSION_CACHE_SIZE=1 serves interleaved sessions: each request of one
    the cache dropped reads its row again; an ended session stays ended."""
    token = make_personal_access_token(person)
    processes = GatewayProcesses()
    try:
        worker = processes.start(MCP_SESSION_CACHE_SIZE="1")
        first, second = legacy_session(worker, token), legacy_session(worker, token)
        for session_id in (first, second, first, second):
            assert legacy_call(worker, token, session_id, "tools/list", {}).status_code == 200

        ended = httpx.delete(f"{worker}/mcp", headers={**bearer(token), "Mcp-Session-Id": first, "MCP-Protocol-Version": LEGACY})
        assert ended.status_code == 200
        legacy_session(worker, token)  # drops the others from the worker's cache
        assert legacy_call(worker, token, first, "tools/list", {}).status_code == 404
        assert legacy_call(worker, token, second, "tools/list", {}).status_code == 200
    finally:
        processes.stop()
