"""Live dashboard events: what changed for a person, pushed to their open dashboard pages over a
WebSocket (mcpgateway.dashboard.consumers), through the channel layer (Redis in production, so any
worker's change reaches a page on any other; in-memory in the one-process local run, where a
multi-process run without Redis reaches only the pages open on the worker that made the change).

An event says what happened ("client_connected", "client_revoked", "client_seen",
"spotify_status") and nothing secret; the page updates what it can and otherwise offers a reload.
Sending is best effort: a channel layer that cannot be reached is logged, never raised.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.db import transaction

logger = logging.getLogger(__name__)

EVENT_TYPE = "dashboard.event"


def person_group(user_id: int) -> str:
    return f"dashboard.person.{user_id}"


def dashboard_event_on_commit(*, user_id: int | None, kind: str, **details) -> None:
    """After the current transaction commits (at once outside one): tell the person's pages."""
    if user_id is not None:
        transaction.on_commit(lambda: dashboard_event_send(user_id=user_id, kind=kind, **details))


def dashboard_event_send(*, user_id: int, kind: str, **details) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(person_group(user_id), {"type": EVENT_TYPE, "event": {"kind": kind, **details}})
    except Exception as exc:  # noqa: BLE001 - the page still works with a reload
        logger.warning("A dashboard event could not be sent: %s", type(exc).__name__)


async def adashboard_event_send(*, user_id: int, kind: str, **details) -> None:
    """The same from async code (the /mcp path), after its write."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(person_group(user_id), {"type": EVENT_TYPE, "event": {"kind": kind, **details}})
    except Exception as exc:  # noqa: BLE001 - the page still works with a reload
        logger.warning("A dashboard event could not be sent: %s", type(exc).__name__)
