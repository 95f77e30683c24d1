"""Open /mcp streams end the moment their credential is revoked, on whichever worker they are.

A POST to /mcp may be answered as an SSE stream (a slow tool call, progress): the response stays
open after the request was authenticated. Two things end such a stream when its credential is
revoked:

- the broadcast: every revocation, once committed, is announced to the channel layer's
  REVOCATION_GROUP (mcpgateway.core.revocation.announce_revocation_on_commit). Each worker process
  keeps a registry of its open streams (`open_streams`, by credential id and person) and, once it
  has had a stream, a listener task on that group; a matching stream gets a last JSON-RPC error for
  its request and ends. With Redis as the channel layer this reaches every worker; with the
  in-memory layer (the one-process local run) only the worker that revoked.
- belt and braces: before sending an event, a stream open for more than RECHECK_SECONDS rereads the
  revocation epoch; when it moved, the bearer token is verified again (the database is the source
  of truth) and the stream ends if it no longer is valid. This needs no channel layer at all.

Either way the client's next request is refused by the epoch (mcpgateway.mcp.auth).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import weakref
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field

from django.http import HttpResponse, JsonResponse

from mcpgateway.core.revocation import REVOCATION_GROUP, REVOCATION_MESSAGE_TYPE

logger = logging.getLogger(__name__)

# How long the first stream of a worker waits for its listener to join the group (a Redis round
# trip; longer only when the channel layer is down, and then the epoch check still applies).
LISTENER_READY_TIMEOUT_SECONDS = 1.0
# Group membership expires in channels' layers (a day by default): joined again this often.
GROUP_REFRESH_SECONDS = 3600.0
# After a channel layer error, the listener tries again after this long.
LISTENER_RETRY_SECONDS = 1.0
# A stream rereads the epoch before an event at most this often (the broadcast is the fast path).
RECHECK_SECONDS = 0.25
# The JSON-RPC error code and message of a stream ended by a revocation (as a 401's body says).
REVOKED_CODE = -32000
REVOKED_MESSAGE = "Authentication required: this credential was revoked"
# A person's calls in flight when they disconnect Spotify: the token is still good, the grant is not.
SPOTIFY_DISCONNECTED_MESSAGE = "Spotify was disconnected: connect it again on the gateway's dashboard"


@dataclass(eq=False)
class StreamGuard:
    """What a streamed /mcp response needs to end itself when its credential is revoked."""

    credential_id: str
    user_id: int
    request_id: object
    # True while the request's bearer token is still valid (called at most every RECHECK_SECONDS).
    still_valid: Callable[[], Awaitable[bool]]
    # The reply when the credential is revoked before anything was sent: the 401 of mcp/bridge.py.
    refusal: Callable[[], HttpResponse]
    wake: Callable[[], None] | None = field(default=None, repr=False)
    # Why it was ended: its credential was revoked, or (by person) Spotify was disconnected.
    spotify_disconnected: bool = False

    def error(self) -> dict:
        message = SPOTIFY_DISCONNECTED_MESSAGE if self.spotify_disconnected else REVOKED_MESSAGE
        return {"jsonrpc": "2.0", "id": self.request_id, "error": {"code": REVOKED_CODE, "message": message}}

    def farewell(self) -> bytes:
        """The last SSE event: a JSON-RPC error for the request, so the client stops waiting."""
        return f"event: message\r\ndata: {json.dumps(self.error(), separators=(',', ':'))}\r\n\r\n".encode()

    def refused(self) -> HttpResponse:
        """The reply when nothing was sent yet: a revoked credential's 401 (as its next request
        gets), or the JSON-RPC error of a disconnected Spotify (the token is still good)."""
        if self.spotify_disconnected:
            return JsonResponse(self.error())
        return self.refusal()


class OpenStreams:
    """This process's open /mcp streams, by credential id and by person."""

    def __init__(self):
        self._guards: set[StreamGuard] = set()

    def add(self, guard: StreamGuard, wake: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        # The listener may run in another event loop than the stream (never under uvicorn).
        guard.wake = lambda: loop.call_soon_threadsafe(wake)
        self._guards.add(guard)

    def discard(self, guard: StreamGuard) -> None:
        self._guards.discard(guard)

    def __len__(self) -> int:
        return len(self._guards)

    def close(self, *, credential_ids=(), user_ids=()) -> int:
        """Wake every open stream of these credentials or people to end; how many."""
        credential_ids, user_ids = set(credential_ids), set(user_ids)
        matching = [g for g in self._guards if g.credential_id in credential_ids or g.user_id in user_ids]
        for guard in matching:
            guard.spotify_disconnected = guard.credential_id not in credential_ids
            self._guards.discard(guard)
            with suppress(RuntimeError):  # its loop has closed: nothing left to end
                guard.wake()
        return len(matching)


open_streams = OpenStreams()


@dataclass
class _Listener:
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None

    async def run(self) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            self.ready.set()
            return
        while True:
            try:
                channel = await layer.new_channel("mcp-revocations.")
                await layer.group_add(REVOCATION_GROUP, channel)
                self.ready.set()
                while True:
                    try:
                        message = await asyncio.wait_for(layer.receive(channel), timeout=GROUP_REFRESH_SECONDS)
                    except TimeoutError:
                        await layer.group_add(REVOCATION_GROUP, channel)
                        continue
                    if message.get("type") == REVOCATION_MESSAGE_TYPE:
                        closed = open_streams.close(credential_ids=message.get("credential_ids", ()),
                                                    user_ids=message.get("user_ids", ()))
                        if closed:
                            logger.info("Closed %d open /mcp stream(s) of a revoked credential", closed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the channel layer is down; the epoch still enforces
                logger.warning("The revocation listener lost the channel layer (%s); retrying", type(exc).__name__)
                self.ready.set()
                await asyncio.sleep(LISTENER_RETRY_SECONDS)


_listeners: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Listener] = weakref.WeakKeyDictionary()


async def listen_for_revocations() -> None:
    """Start this event loop's listener (once); return when it has joined the group (or given up
    waiting for a channel layer that does not answer)."""
    loop = asyncio.get_running_loop()
    listener = _listeners.get(loop)
    if listener is None:
        listener = _listeners[loop] = _Listener()
        # A fresh Context: the task outlives the request that started it.
        listener.task = loop.create_task(listener.run(), context=contextvars.Context())
    if not listener.ready.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(listener.ready.wait(), LISTENER_READY_TIMEOUT_SECONDS)
