"""How the gateway speaks HTTP to Spotify, for both of Spotify's services.

Spotify has two: the accounts service (`accounts.py`: the authorize URL, the code exchange, refresh)
and the Web API (`webapi.py`). Every request to either goes through here: the pooled httpx clients
(one thread-safe sync client per process, one async client per event loop), the per-request timeout
`SPOTIFY_HTTP_TIMEOUT_SECONDS`, and the one mapping of what comes back (an error answer, an
unreadable answer, a timeout, a connection that fails) to the exceptions below.

Callers tell the exceptions apart by class: `SpotifyGrantRevoked` is final (the person must
reconnect), `SpotifyUnavailable` and `SpotifyRateLimited` are worth retrying,
`SpotifyRequestRejected` will fail the same way again. No message ever carries a token.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, TypeVar

import httpx
from django.conf import settings

from mcpgateway.core.metrics import SPOTIFY_REQUEST_DURATION, SPOTIFY_REQUESTS

T = TypeVar("T")


class SpotifyService(StrEnum):
    """Which of Spotify's services a request went to; the value names it in messages."""

    ACCOUNTS = "Spotify's accounts service"
    WEB_API = "Spotify's Web API"


class SpotifyError(Exception):
    """Spotify answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class SpotifyGrantRevoked(SpotifyError):
    """`invalid_grant`: the refresh token is used up, revoked or expired. Never retried."""


class SpotifyUnavailable(SpotifyError):
    """5xx, an unreadable answer, a timeout or a connection failure: Spotify may work again shortly."""


class SpotifyRateLimited(SpotifyError):
    """429: wait `retry_after` seconds."""


class SpotifyRequestRejected(SpotifyError):
    """Any other 4xx: our request, the person's account or our app's configuration does not allow
    it; sending it again will not help."""


# --- Clients --------------------------------------------------------------------------------------

_HEADERS = {"User-Agent": "spotify-mcp-gateway", "Accept": "application/json"}

_sync_client_lock = threading.Lock()
_sync_client: httpx.Client | None = None

# One pooled client per event loop: an httpx.AsyncClient's connections belong to the loop that
# opened them. Keyed weakly, so a closed and collected loop takes its client along.
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def sync_client() -> httpx.Client:
    """One pooled, thread-safe client per process: the refresh sweep's threads share its connections."""
    global _sync_client
    if _sync_client is None:
        with _sync_client_lock:
            if _sync_client is None:
                pool = max(20, settings.SPOTIFY_REFRESH_CONCURRENCY * 2)
                _sync_client = httpx.Client(
                    limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool), headers=_HEADERS
                )
    return _sync_client


def _new_async_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=100, max_keepalive_connections=50), headers=_HEADERS)


def async_client() -> httpx.AsyncClient:
    """The pooled client of the running event loop."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None or client.is_closed:
        client = _async_clients[loop] = _new_async_client()
    return client


# --- Rate limits ----------------------------------------------------------------------------------

# Spotify's rate limit is the app's (a rolling 30-second window over every request of the app), not
# one person's: after a 429 no request of this process goes to that service until its Retry-After
# has passed. Every call meanwhile is told how long to wait instead of adding to the storm.
# Per process: each worker learns of the limit from its own first 429.
RETRY_AFTER_DEFAULT_SECONDS = 1.0
# A hold this close to its end is over: a caller that slept for exactly Retry-After may wake a hair early.
_HOLD_SLACK_SECONDS = 0.05
_held_until: dict[SpotifyService, float] = {}


def _check_hold(service: SpotifyService) -> None:
    remaining = _held_until.get(service, 0.0) - time.monotonic()
    if remaining > _HOLD_SLACK_SECONDS:
        raise SpotifyRateLimited(f"{service} asked the gateway to slow down", status=429, retry_after=remaining)


def _note_answer(service: SpotifyService, response: httpx.Response) -> httpx.Response:
    if response.status_code == 429:
        wait = retry_after_seconds(response)
        until = time.monotonic() + (RETRY_AFTER_DEFAULT_SECONDS if wait is None else wait)
        _held_until[service] = max(until, _held_until.get(service, 0.0))
    return response


def rate_limit_holds_clear() -> None:
    """Forget every Retry-After being waited out (a test starting afresh)."""
    _held_until.clear()


# --- Sending --------------------------------------------------------------------------------------


@contextmanager
def _reaching(service: SpotifyService) -> Iterator[list[httpx.Response]]:
    """Maps transport failures to SpotifyUnavailable, and counts and times every request
    (gateway_spotify_requests by outcome, gateway_spotify_request_duration_seconds)."""
    answered: list[httpx.Response] = []
    started = time.perf_counter()
    try:
        yield answered
    except httpx.TimeoutException as exc:
        SPOTIFY_REQUESTS.labels(service.name.lower(), "timeout").inc()
        raise SpotifyUnavailable(f"{service} did not answer in time") from exc
    except httpx.TransportError as exc:
        SPOTIFY_REQUESTS.labels(service.name.lower(), "unreachable").inc()
        raise SpotifyUnavailable(f"{service} could not be reached") from exc
    if answered:
        SPOTIFY_REQUEST_DURATION.labels(service.name.lower()).observe(time.perf_counter() - started)
        SPOTIFY_REQUESTS.labels(service.name.lower(), outcome_of_status(answered[0].status_code)).inc()


def outcome_of_status(status: int) -> str:
    """The metric's outcome for an answer: ok, or why it is an error."""
    if status < 400:
        return "ok"
    return {401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limited"}.get(status, "server_error" if status >= 500 else "client_error")


def send(service: SpotifyService, method: str, url: str, **request: Any) -> httpx.Response:
    """Send one request with the process's client; whatever Spotify answers, SpotifyUnavailable
    when it does not answer in time or cannot be reached, or SpotifyRateLimited without sending
    while an earlier 429's Retry-After lasts."""
    _check_hold(service)
    with _reaching(service) as answered:
        answered.append(sync_client().request(method, url, timeout=settings.SPOTIFY_HTTP_TIMEOUT_SECONDS, **request))
    return _note_answer(service, answered[0])


async def send_async(service: SpotifyService, method: str, url: str, *, timeout: float | None = None, **request: Any) -> httpx.Response:
    """`send`, with the event loop's client."""
    _check_hold(service)
    with _reaching(service) as answered:
        answered.append(await async_client().request(
            method, url, timeout=settings.SPOTIFY_HTTP_TIMEOUT_SECONDS if timeout is None else timeout, **request
        ))
    return _note_answer(service, answered[0])


# --- Answers --------------------------------------------------------------------------------------


def read_answer(response: httpx.Response, *, service: SpotifyService, read: Callable[[Any], T]) -> T:
    """`read` applied to the JSON of a successful answer. An answer that is not JSON, or not what
    `read` expects (it raises KeyError, TypeError or ValueError), is Spotify's fault: SpotifyUnavailable."""
    try:
        return read(response.json())
    except (ValueError, KeyError, TypeError) as exc:
        raise SpotifyUnavailable(f"{service} sent an unreadable answer", status=response.status_code) from exc


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (RFC 9110 §10.2.3), the form Spotify sends; None when missing or unreadable."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def error_from_answer(response: httpx.Response, *, service: SpotifyService) -> SpotifyError:
    """The exception for an error answer of either service: 429 rate limited, 5xx unavailable,
    `invalid_grant` revoked, any other status rejected (with Spotify's reason)."""
    status = response.status_code
    message, reason = _error_details(response, service)
    if status == 429:
        return SpotifyRateLimited(message, status=status, reason=reason, retry_after=retry_after_seconds(response))
    if status >= 500:
        return SpotifyUnavailable(message, status=status, reason=reason)
    if reason == "invalid_grant":  # only the accounts service says it (RFC 6749 §5.2)
        return SpotifyGrantRevoked(message, status=status, reason=reason)
    return SpotifyRequestRejected(message, status=status, reason=reason)


def _error_details(response: httpx.Response, service: SpotifyService) -> tuple[str, str]:
    """(message, reason) of an error answer. A body that is not a JSON object (a proxy's error
    page) says nothing beyond its status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    if service is SpotifyService.WEB_API:
        # Spotify's Web API error object: {"error": {"status", "message", "reason"}}, where reason
        # names player problems (PREMIUM_REQUIRED, NO_ACTIVE_DEVICE, ...).
        error = body.get("error") or {}
        if not isinstance(error, dict):
            error = {"message": str(error)}
        return str(error.get("message") or f"Spotify answered HTTP {status}"), str(error.get("reason") or "")
    # The accounts service answers as RFC 6749 §5.2: {"error": code, "error_description": text}.
    code, description = str(body.get("error") or ""), str(body.get("error_description") or "")
    if status == 429:
        return "Spotify is rate limiting token requests", code
    if status >= 500:
        return f"{service} failed (HTTP {status})", code
    if code == "invalid_grant":
        return f"Spotify refused the grant: {description or code}", code
    return f"Spotify refused the token request: {code or status} {description}".strip(), code
