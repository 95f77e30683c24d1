"""McpSession rows as /mcp uses them: start, find, touch and end 2025-11-25 sessions, and the
one-per-client rows of 2026-07-28 connections.

Every worker keeps what it read in a small per-process cache together with the revocation epoch
(mcpgateway.revocation) it saw then. Revoking (admin, dashboard) or ending (DELETE) a session moves
the epoch, so every worker drops its cache at its next request and reads the row again: a request
costs one epoch read, not a database query, and revocation still bites at once everywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mcpgateway.mcp.auth import Principal
from mcpgateway.models import McpSession
from mcpgateway.revocation import EpochCache, bump_revocation_epoch

CACHE_SIZE = 10_000
_FIELDS = ("id", "user_id", "kind", "credential_id", "revoked_at", "ended_at", "expires_at", "last_seen_at")


@dataclass
class SessionState:
    """What a worker remembers of one McpSession row."""

    id: uuid.UUID
    user_id: int
    kind: str
    credential_id: str
    closed: bool  # revoked by someone, or ended by the client
    revoked: bool
    expires_at: datetime | None
    last_seen_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return not self.closed and (self.expires_at is None or self.expires_at > now)


_cache = EpochCache(CACHE_SIZE)


def clear_session_cache() -> None:
    _cache.clear()


def _state(row: McpSession | dict) -> SessionState:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return SessionState(
        id=get("id"),
        user_id=get("user_id"),
        kind=get("kind"),
        credential_id=get("credential_id"),
        closed=get("revoked_at") is not None or get("ended_at") is not None,
        revoked=get("revoked_at") is not None,
        expires_at=get("expires_at"),
        last_seen_at=get("last_seen_at"),
    )


def _clip(value: str | None, length: int) -> str:
    return (value or "")[:length]


async def mcp_session_start(
    *,
    principal: Principal,
    client_name: str,
    client_version: str,
    protocol_version: str,
    user_agent: str,
    ip_address: str | None,
    epoch: str,
) -> SessionState:
    """A new 2025-11-25 session, minted by the gateway at a successful `initialize`."""
    now = timezone.now()
    max_age = settings.MCP_SESSION_MAX_AGE_SECONDS
    row = await McpSession.objects.acreate(
        user_id=principal.user_id,
        kind=McpSession.Kind.SESSION,
        credential_id=principal.credential_id,
        client_name=_clip(client_name, 255),
        client_version=_clip(client_version, 100),
        protocol_version=_clip(protocol_version, 20),
        user_agent=_clip(user_agent, 500),
        ip_address=ip_address,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=max_age) if max_age else None,
    )
    state = _state(row)
    _cache.put(str(row.id), state, epoch)
    return state


async def mcp_session_find(*, session_id: str, principal: Principal, epoch: str) -> SessionState | None:
    """The usable 2025-11-25 session `session_id` of this principal's user, or None.

    A session of another user answers exactly like an unknown one (the caller sends 404 for both).
    """
    try:
        key = str(uuid.UUID(session_id))
    except ValueError:
        return None
    state = _cache.get(key, epoch)
    if state is None:
        row = await McpSession.objects.filter(pk=key, kind=McpSession.Kind.SESSION).values(*_FIELDS).afirst()
        if row is None:
            return None
        state = _state(row)
        _cache.put(key, state, epoch)
    if state.user_id != principal.user_id or not state.usable(timezone.now()):
        return None
    return state


async def mcp_connection_for(
    *,
    principal: Principal,
    client_name: str,
    client_version: str,
    protocol_version: str,
    user_agent: str,
    ip_address: str | None,
    epoch: str,
) -> SessionState:
    """The row of a 2026-07-28 client: one per credential and client name, created on first use.

    The caller refuses the request when the returned state is closed (revoked).
    """
    client_name = _clip(client_name, 255)
    key = ("connection", principal.credential_id, client_name)
    state = _cache.get(key, epoch)
    if state is None and principal.kind == "oauth":
        # An OAuth authorization already has its row (created at consent): every client name
        # the client reports is that one row, so the person sees and revokes it once.
        row = await McpSession.objects.filter(kind=McpSession.Kind.CONNECTION, credential_id=principal.credential_id).afirst()
        if row is not None:
            state = _state(row)
            _cache.put(key, state, epoch)
    if state is None:
        row, _created = await McpSession.objects.aget_or_create(
            kind=McpSession.Kind.CONNECTION,
            credential_id=principal.credential_id,
            client_name=client_name,
            defaults={
                "user_id": principal.user_id,
                "client_version": _clip(client_version, 100),
                "protocol_version": _clip(protocol_version, 20),
                "user_agent": _clip(user_agent, 500),
                "ip_address": ip_address,
                "last_seen_at": timezone.now(),
            },
        )
        state = _state(row)
        _cache.put(key, state, epoch)
    return state


async def mcp_session_touch(*, state: SessionState, **details: str | None) -> None:
    """Record that the client was seen; written at most once a `MCP_SESSION_TOUCH_SECONDS`."""
    now = timezone.now()
    interval = timedelta(seconds=settings.MCP_SESSION_TOUCH_SECONDS)
    if state.last_seen_at is not None and now - state.last_seen_at < interval:
        return
    state.last_seen_at = now
    updates = {"last_seen_at": now}
    for name, length in (("client_version", 100), ("protocol_version", 20), ("user_agent", 500)):
        if details.get(name):
            updates[name] = _clip(details[name], length)
    if "ip_address" in details and details["ip_address"]:
        updates["ip_address"] = details["ip_address"]
    await McpSession.objects.filter(pk=state.id).aupdate(**updates)


def _end(session_id: uuid.UUID) -> None:
    with transaction.atomic():
        ended = McpSession.objects.filter(pk=session_id, ended_at__isnull=True).update(ended_at=timezone.now())
        if ended:
            # Other workers may have the session cached as usable.
            transaction.on_commit(bump_revocation_epoch)


async def mcp_session_end(*, state: SessionState) -> None:
    """The client ended its session (HTTP DELETE): every worker answers 404 for it from now on."""
    state.closed = True
    await sync_to_async(_end)(state.id)
