"""Sessions that belong to the gateway, not to one process (docs/mcp-endpoint.md):

- 2025-11-25: the gateway mints the `Mcp-Session-Id` (an McpSession row) at a successful
  `initialize` and checks it on every later request on whatever worker receives it; DELETE ends it.
- 2026-07-28 (sessionless): one McpSession row per credential and client name (a "connection"),
  so people and admins see and revoke these clients like sessions.

`track_request` applies this to one /mcp request; the functions before it read and write the rows.
Every worker keeps what it read in a bounded per-process cache (MCP_SESSION_CACHE_SIZE, least
recently used dropped first) together with the revocation epoch (mcpgateway.core.revocation) it saw
then. Revoking (admin, dashboard) or ending (DELETE) a session moves the epoch, so every worker drops
its cache at its next request and reads the row again: a request costs one epoch read, not a
database query, and revocation still bites at once everywhere.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from mcp_types import CLIENT_INFO_META_KEY
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

from mcpgateway.core.revocation import EpochCache
from mcpgateway.core.storable_text import storable_text
from mcpgateway.dashboard.events import adashboard_event_send
from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.models import McpSession
from mcpgateway.mcp.responses import bodiless, no_get_stream, session_id_missing, session_not_found
from mcpgateway.mcp.runtime import ResponseStartHook

_FIELDS = ("id", "user_id", "client_name", "revoked_at", "ended_at", "expires_at", "last_seen_at")

# SessionState._packed, from the lowest bit: closed (1 bit), last seen, expiry (each in milliseconds
# since 1970 in _TIME_BITS: until the year 2248), then the user id (a Python int: any size fits).
_TIME_BITS = 43
_TIME_MASK = (1 << _TIME_BITS) - 1
_NO_EXPIRY = _TIME_MASK
_NEVER_SEEN = 0
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def _milliseconds(value: datetime | None, none: int) -> int:
    if value is None:
        return none
    # Rounded down: an expiry comes at most a millisecond early, "last seen" is written at most a
    # millisecond early; never later.
    return min(max((value - _UNIX_EPOCH) // _MILLISECOND, 0), _TIME_MASK)


def _datetime(milliseconds: int, none: int) -> datetime | None:
    return None if milliseconds == none else _UNIX_EPOCH + milliseconds * _MILLISECOND


class SessionState:
    """What a worker remembers of one McpSession row (a 2025-11-25 session or a 2026-07-28
    connection): what each request checks and nothing more.

    A worker may hold MCP_SESSION_CACHE_SIZE of these (issue #12: 10,000 idle sessions must add
    < 5 MB to a worker; bench/idle_sessions.py), so one costs about 200 bytes with its cache entry,
    not the 400 of a slotted dataclass of UUID and datetimes: three slots, the row's id as an int
    (the cache key of a session: the same object), its user, expiry, "last seen" and closed flag
    packed into one int, and the client's name shared with every session of that name (sys.intern).
    """

    __slots__ = ("key", "_packed", "client_name")

    def __init__(self, *, id: uuid.UUID, user_id: int, client_name: str, closed: bool, expires_at: datetime | None,
                 last_seen_at: datetime | None):
        self.key = id.int
        self.client_name = sys.intern(client_name)  # what the client called itself, for the audit trail
        expires = _milliseconds(expires_at, _NO_EXPIRY)
        last_seen = _milliseconds(last_seen_at, _NEVER_SEEN)
        self._packed = (((user_id << _TIME_BITS | expires) << _TIME_BITS | last_seen) << 1) | closed

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(int=self.key)

    @property
    def user_id(self) -> int:
        return self._packed >> (2 * _TIME_BITS + 1)

    @property
    def closed(self) -> bool:
        """Revoked by someone, or ended by the client."""
        return bool(self._packed & 1)

    @closed.setter
    def closed(self, value: bool) -> None:
        self._packed = self._packed & ~1 | bool(value)

    @property
    def expires_at(self) -> datetime | None:
        return _datetime(self._packed >> (_TIME_BITS + 1) & _TIME_MASK, _NO_EXPIRY)

    @property
    def last_seen_at(self) -> datetime | None:
        return _datetime(self._packed >> 1 & _TIME_MASK, _NEVER_SEEN)

    @last_seen_at.setter
    def last_seen_at(self, value: datetime | None) -> None:
        last_seen = _milliseconds(value, _NEVER_SEEN)
        self._packed = self._packed & ~(_TIME_MASK << 1) | last_seen << 1

    def usable(self, now: datetime) -> bool:
        expires_at = self.expires_at
        return not self.closed and (expires_at is None or expires_at > now)

    def __repr__(self) -> str:
        return (f"SessionState(id={self.id}, user_id={self.user_id}, client_name={self.client_name!r}, closed={self.closed}, "
                f"expires_at={self.expires_at}, last_seen_at={self.last_seen_at})")


# At most MCP_SESSION_CACHE_SIZE states, the least recently used dropped first: a request for a
# dropped one reads its row again (one query by primary key), exactly as on a worker that never saw it.
_cache = EpochCache(settings.MCP_SESSION_CACHE_SIZE)


@receiver(setting_changed)
def _resize_cache(*, setting: str, value: Any, **kwargs) -> None:
    """A changed MCP_SESSION_CACHE_SIZE (tests' override_settings) applies at once."""
    if setting == "MCP_SESSION_CACHE_SIZE":
        _cache.size = value if value is not None else settings.MCP_SESSION_CACHE_SIZE


def _remember(key, state: SessionState, epoch: str) -> None:
    _cache.put(key, state, epoch)


def _state(row: McpSession | dict) -> SessionState:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return SessionState(
        id=get("id"),
        user_id=get("user_id"),
        client_name=get("client_name") or "",
        closed=get("revoked_at") is not None or get("ended_at") is not None,
        expires_at=get("expires_at"),
        last_seen_at=get("last_seen_at"),
    )


def _clip(value: str | None, length: int) -> str:
    return (value or "")[:length]


@dataclass(frozen=True)
class ClientInfo:
    """What a request tells of the client behind it; people see it on the dashboard and in the admin."""

    name: str = ""
    version: str = ""
    protocol_version: str = ""
    user_agent: str = ""
    ip_address: str | None = None

    def row_fields(self) -> dict[str, str | None]:
        """The McpSession columns of what is known (blank values are left out), clipped to fit."""
        fields = {
            "client_version": _clip(self.version, 100),
            "protocol_version": _clip(self.protocol_version, 20),
            "user_agent": _clip(self.user_agent, 500),
            "ip_address": self.ip_address,
        }
        return {name: value for name, value in fields.items() if value}


def _end_beyond_cap(credential_id: str) -> None:
    """One credential keeps at most MCP_MAX_LIVE_SESSIONS_PER_CREDENTIAL live rows (0: no cap): a
    new one ends the least recently seen beyond it, as a client's DELETE would. Ending is not
    revoking: the credential keeps working. An OAuth authorization's own row is never ended here
    (it stands for the authorization). One statement, only when a row is created."""
    cap = settings.MCP_MAX_LIVE_SESSIONS_PER_CREDENTIAL
    if not cap or not credential_id:
        return
    now = timezone.now()
    live = McpSession.objects.filter(
        credential_id=credential_id, revoked_at__isnull=True, ended_at__isnull=True, oauth_authorization__isnull=True
    ).exclude(expires_at__lte=now)
    newest_first = live.order_by(F("last_seen_at").desc(nulls_last=True), "-created_at", "-pk")
    # Moving ended_at moves the revocation epoch (RevocationQuerySet): every worker drops them.
    McpSession.objects.filter(pk__in=newest_first.values("pk")[cap:]).update(ended_at=now)


async def mcp_session_start(*, principal: Principal, client: ClientInfo, epoch: str) -> SessionState:
    """A new 2025-11-25 session, minted by the gateway at a successful `initialize`."""
    now = timezone.now()
    max_age = settings.MCP_SESSION_MAX_AGE_SECONDS
    row = await McpSession.objects.acreate(
        user_id=principal.user_id,
        kind=McpSession.Kind.SESSION,
        credential_id=principal.credential_id,
        client_name=_clip(client.name, 255),
        **client.row_fields(),
        last_seen_at=now,
        expires_at=now + timedelta(seconds=max_age) if max_age else None,
    )
    await sync_to_async(_end_beyond_cap)(principal.credential_id)
    state = _state(row)
    _remember(state.key, state, epoch)
    await adashboard_event_send(user_id=principal.user_id, kind="client_connected", credential_id=principal.credential_id,
                                client_name=row.client_name)
    return state


async def mcp_session_find(*, session_id: str, principal: Principal, epoch: str) -> SessionState | None:
    """The usable 2025-11-25 session `session_id` of this principal's user, or None.

    A session of another user answers exactly like an unknown one (the caller sends 404 for both).
    """
    try:
        key = uuid.UUID(session_id)
    except ValueError:
        return None
    state = _cache.get(key.int, epoch)
    if state is None:
        row = await McpSession.objects.filter(pk=key, kind=McpSession.Kind.SESSION).values(*_FIELDS).afirst()
        if row is None:
            return None
        state = _state(row)
        _remember(state.key, state, epoch)
    if state.user_id != principal.user_id or not state.usable(timezone.now()):
        return None
    return state


async def mcp_connection_for(*, principal: Principal, client: ClientInfo, epoch: str) -> SessionState:
    """The row of a 2026-07-28 client: one per credential and client name, created on first use.

    The caller refuses the request when the returned state is closed (revoked).
    """
    client_name = _clip(client.name, 255)
    key = ("connection", principal.credential_id, client_name)
    state = _cache.get(key, epoch)
    if state is None and principal.kind == "oauth":
        # An OAuth authorization already has its row (created at consent): every client name
        # the client reports is that one row, so the person sees and revokes it once.
        row = await McpSession.objects.filter(kind=McpSession.Kind.CONNECTION, credential_id=principal.credential_id).afirst()
        if row is not None:
            state = _state(row)
            _remember(key, state, epoch)
    if state is None:
        # A row ended by the cap is history: the client gets a new one (revoked ones still match).
        row, created = await McpSession.objects.aget_or_create(
            kind=McpSession.Kind.CONNECTION,
            credential_id=principal.credential_id,
            client_name=client_name,
            ended_at=None,
            defaults={"user_id": principal.user_id, **client.row_fields(), "last_seen_at": timezone.now()},
        )
        if created:
            await sync_to_async(_end_beyond_cap)(principal.credential_id)
            await adashboard_event_send(user_id=principal.user_id, kind="client_connected",
                                        credential_id=principal.credential_id, client_name=client_name)
        state = _state(row)
        _remember(key, state, epoch)
    return state


async def mcp_session_touch(*, state: SessionState, client: ClientInfo) -> None:
    """Record that the client was seen, and what it tells of itself now; written at most once a
    `MCP_SESSION_TOUCH_SECONDS`."""
    now = timezone.now()
    interval = timedelta(seconds=settings.MCP_SESSION_TOUCH_SECONDS)
    if state.last_seen_at is not None and now - state.last_seen_at < interval:
        return
    state.last_seen_at = now
    await McpSession.objects.filter(pk=state.id).aupdate(last_seen_at=now, **client.row_fields())
    await adashboard_event_send(user_id=state.user_id, kind="client_seen", session_id=str(state.id), last_seen_at=now.isoformat())


def _end(session_id: uuid.UUID) -> None:
    # Other workers may have the session cached as usable: updating ended_at moves the epoch.
    McpSession.objects.filter(pk=session_id, ended_at__isnull=True).update(ended_at=timezone.now())


async def mcp_session_end(*, state: SessionState) -> None:
    """The client ended its session (HTTP DELETE): every worker answers 404 for it from now on."""
    state.closed = True
    await sync_to_async(_end)(state.id)


# --- One /mcp request ---------------------------------------------------------------------------

SESSION_HEADER = "mcp-session-id"
PROTOCOL_HEADER = "mcp-protocol-version"


@dataclass
class Tracking:
    """What session tracking made of a request: the reply to send without the SDK (a refusal, or a
    DELETE's end of the session), that the credential may no longer be used by this client (the
    caller answers 401), or the row the request belongs to (if any) and, for an `initialize`, the
    hook that adds the new session's id to the SDK's reply."""

    reply: HttpResponse | None = None
    revoked: bool = False
    session_id: str | None = None
    client_name: str = ""
    on_response_start: ResponseStartHook | None = None


async def track_request(*, request: HttpRequest, principal: Principal, message: Any, epoch: str) -> Tracking:
    """Find, start, touch or end the session or connection of an authenticated request.

    `message`: the decoded JSON-RPC body (None when there is none or it does not parse; the SDK
    answers malformed bodies itself). The SDK's session manager routes a request by its
    `MCP-Protocol-Version`: one outside the handshake versions is 2026-07-28.
    """
    version = request.headers.get(PROTOCOL_HEADER)
    if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
        return await _track_connection(request, principal, version, message, epoch)
    return await _track_session(request, principal, message, epoch)


def _client_info(request: HttpRequest, *, name: Any = "", version: Any = "", protocol_version: Any = "") -> ClientInfo:
    # What a client says of itself is only shown to people: keep what a database can store of it.
    return ClientInfo(
        name=storable_text(str(name or "")),
        version=storable_text(str(version or "")),
        protocol_version=storable_text(str(protocol_version or "")),
        user_agent=storable_text(request.headers.get("User-Agent", "")),
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


async def _track_connection(request: HttpRequest, principal: Principal, version: str, message: Any, epoch: str) -> Tracking:
    """2026-07-28: find or create the client's connection row; a revoked one is refused (401)."""
    if request.method != "POST" or version not in MODERN_PROTOCOL_VERSIONS:
        return Tracking()  # the SDK answers these (405, unsupported version)
    if not isinstance(message, dict) or "id" not in message or not isinstance(message.get("method"), str):
        return Tracking()  # notifications and malformed bodies: the SDK answers, nothing to track
    info = _dict(_dict(_dict(message.get("params")).get("_meta")).get(CLIENT_INFO_META_KEY))
    client = _client_info(request, name=info.get("name"), version=info.get("version"), protocol_version=version)
    state = await mcp_connection_for(principal=principal, client=client, epoch=epoch)
    if state.closed:
        return Tracking(revoked=True)
    await mcp_session_touch(state=state, client=client)
    return Tracking(session_id=str(state.id), client_name=state.client_name)


async def _track_session(request: HttpRequest, principal: Principal, message: Any, epoch: str) -> Tracking:
    """2025-11-25: the gateway's own Mcp-Session-Id, checked on every request on every worker."""
    session_id = request.headers.get(SESSION_HEADER)
    if session_id is not None:
        state = await mcp_session_find(session_id=session_id, principal=principal, epoch=epoch)
        if state is None:
            return Tracking(reply=session_not_found())
        if request.method == "DELETE":
            await mcp_session_end(state=state)
            return Tracking(reply=bodiless(200))
        if request.method == "GET":
            return Tracking(reply=no_get_stream())
        await mcp_session_touch(state=state, client=_client_info(request, protocol_version=request.headers.get(PROTOCOL_HEADER)))
        return Tracking(session_id=str(state.id), client_name=state.client_name)

    if request.method == "GET":
        return Tracking(reply=no_get_stream())
    if request.method != "POST":
        return Tracking(reply=session_id_missing())
    if not isinstance(message, dict):
        return Tracking()  # the SDK answers malformed bodies
    if message.get("method") != "initialize" or "id" not in message:
        return Tracking(reply=session_id_missing())

    params = _dict(message.get("params"))
    info = _dict(params.get("clientInfo"))
    client = _client_info(request, name=info.get("name"), version=info.get("version"), protocol_version=params.get("protocolVersion"))

    async def start_session(start: dict) -> None:
        """Mint the session only once the SDK accepted the `initialize` (spec: the server assigns
        the id in the response that carries the InitializeResult)."""
        if start["status"] != 200:
            return
        state = await mcp_session_start(principal=principal, client=client, epoch=epoch)
        start["headers"] = [*start["headers"], (SESSION_HEADER.encode(), state.id.hex.encode())]

    return Tracking(on_response_start=start_session)
