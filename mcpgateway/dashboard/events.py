"""Live dashboard events: what changed for a person, pushed to their open dashboard pages over a
WebSocket (mcpgateway.dashboard.consumers), through the channel layer (Redis in production, so any
worker's change reaches a page on any other; in-memory in the one-process local run, where a
multi-process run without Redis reaches only the pages open on the worker that made the change).

An event says what happened ("client_connected", "client_revoked", "client_seen",
"spotify_status", "tool_calls") and nothing secret; the page updates what it can and otherwise
offers a reload. Each event goes to the person's group and, naming the person (`person_id`), to the
team group that team admins' open team pages join; a member's socket never joins the team group.
Sending is best effort: a channel layer that cannot be reached is logged, never raised.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import defaultdict
from typing import Any, Iterable

from asgiref.sync import async_to_sync
from django.db import transaction

logger = logging.getLogger(__name__)

EVENT_TYPE = "dashboard.event"
TEAM_GROUP = "dashboard.team"
# The tool calls one event carries per person (a batch of the audit writer may hold hundreds).
TOOL_CALLS_PER_EVENT = 10


def person_group(user_id: int) -> str:
    return f"dashboard.person.{user_id}"


def access_group(user_id: int) -> str:
    """Every open socket of the person, whatever its view: told when their role or activity changes."""
    return f"dashboard.access.{user_id}"


ACCESS_CHANGED_TYPE = "dashboard.access_changed"


def dashboard_access_changed_on_commit(*, user_id: int) -> None:
    """The person's role or activity may have changed: their open sockets check again, after the
    commit, and a socket no longer allowed (a team view of someone made a member, anyone deactivated)
    is closed. Best effort, like every event."""

    def send() -> None:
        try:
            async_to_sync(_send_all)([(access_group(user_id), None)])
        except Exception as exc:  # noqa: BLE001 - the socket is refused at its next connection anyway
            logger.warning("A dashboard event could not be sent: %s", type(exc).__name__)

    transaction.on_commit(send)


def dashboard_event_on_commit(*, user_id: int | None, kind: str, **details) -> None:
    """After the current transaction commits (at once outside one): tell the person's pages."""
    if user_id is not None:
        transaction.on_commit(lambda: dashboard_event_send(user_id=user_id, kind=kind, **details))


def dashboard_event_send(*, user_id: int, kind: str, **details) -> None:
    try:
        async_to_sync(adashboard_event_send)(user_id=user_id, kind=kind, **details)
    except Exception as exc:  # noqa: BLE001 - e.g. called from sync code inside an event loop: the page still works with a reload
        logger.warning("A dashboard event could not be sent: %s", type(exc).__name__)


async def adashboard_event_send(*, user_id: int, kind: str, **details) -> None:
    """The same from async code (the /mcp path), after its write."""
    event = {"kind": kind, **details}
    await _send_all([(person_group(user_id), event), (TEAM_GROUP, {**event, "person_id": user_id})])


def tool_calls_announce(rows: Iterable[dict[str, Any]], *, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """The audit writer wrote these tool-call rows (AuditEvent fields): one event per person (their
    latest calls of the batch) and one for the team, never from a call's path.

    `loop`: the server's event loop, where the sockets' consumers run. The events are built and sent
    there, not waited for: the in-memory layer's queues belong to that loop (another loop's put would
    not wake them), Redis connections are pooled per loop, and the writer's thread, which calls this,
    should hold the GIL as little as it can (the loop answers no request while it does). Without one
    (a script, a test), built and sent here."""
    if loop is not None and loop.is_running():
        loop.call_soon_threadsafe(_announce_on_loop, rows)
    elif messages := _tool_calls_messages(rows):
        async_to_sync(_send_all)(messages)


_sending: set[asyncio.Task] = set()  # the loop keeps only weak references to its tasks


def _announce_on_loop(rows: Iterable[dict[str, Any]]) -> None:
    if messages := _tool_calls_messages(rows):
        task = asyncio.get_running_loop().create_task(_send_all(messages))
        _sending.add(task)
        task.add_done_callback(_sending.discard)


def _tool_calls_messages(rows: Iterable[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    calls: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("user_id") is not None and row.get("kind") == "tool_call":
            calls[row["user_id"]].append(row)
    if not calls:
        return []
    # Summaries of each person's newest calls only: a batch can hold hundreds of one person's.
    newest_first = {user_id: [tool_call_summary(row) for row in heapq.nlargest(TOOL_CALLS_PER_EVENT, person_rows, key=_occurred_at)]
                    for user_id, person_rows in calls.items()}
    team = sorted(({**call, "person_id": user_id} for user_id, person_calls in newest_first.items() for call in person_calls),
                  key=lambda call: call["occurred_at"], reverse=True)[:TOOL_CALLS_PER_EVENT]
    messages = [(person_group(user_id), {"kind": "tool_calls", "calls": person_calls}) for user_id, person_calls in newest_first.items()]
    messages.append((TEAM_GROUP, {"kind": "tool_calls", "calls": team}))
    return messages


def _occurred_at(row: dict[str, Any]) -> str:
    occurred_at = row.get("occurred_at")
    return occurred_at.isoformat() if hasattr(occurred_at, "isoformat") else str(occurred_at or "")


def tool_call_summary(row: dict[str, Any]) -> dict[str, Any]:
    """What a page shows of a tool call: never its arguments."""
    return {
        "tool": row.get("tool") or "",
        "outcome": row.get("outcome") or "",
        "reason": row.get("reason") or "",
        "client_name": row.get("client_name") or "",
        "occurred_at": _occurred_at(row),
    }


async def _send_all(messages: list[tuple[str, dict[str, Any] | None]]) -> None:
    """Each (group, event) in turn (None: the access check); a layer that cannot be reached costs one warning for all of them."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for group, event in messages:
            await layer.group_send(group, {"type": ACCESS_CHANGED_TYPE} if event is None else {"type": EVENT_TYPE, "event": event})
    except Exception as exc:  # noqa: BLE001 - the page still works with a reload
        logger.warning("A dashboard event could not be sent: %s", type(exc).__name__)
