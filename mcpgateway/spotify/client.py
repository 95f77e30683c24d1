"""The gateway's HTTP client for Spotify's accounts service and Web API.

This is the only module that speaks to Spotify. It turns Spotify's answers into values and its
failures into the exceptions below, which callers treat differently: `SpotifyGrantRevoked` is final
(the person must reconnect), `SpotifyUnavailable` and `SpotifyRateLimited` are worth retrying.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from django.conf import settings

# Every Spotify capability the MCP tools offer; asked for at connect time.
SPOTIFY_SCOPES = (
    "user-read-private",
    "user-read-email",
    "user-read-playback-state",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "user-read-recently-played",
    "user-top-read",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "user-library-read",
    "user-library-modify",
    "user-follow-read",
)


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
    """5xx, a timeout or a connection failure: Spotify may work again shortly."""


class SpotifyRateLimited(SpotifyError):
    """429: wait `retry_after` seconds."""


class SpotifyRequestRejected(SpotifyError):
    """Any other 4xx: our request or our app's configuration is wrong; retrying will not help."""


@dataclass(frozen=True)
class SpotifyTokens:
    access_token: str
    expires_in: int
    scope: str
    # Spotify may leave it out of a refresh answer: then the old refresh token stays valid.
    refresh_token: str | None

    def __repr__(self) -> str:  # tokens never end up in logs
        return f"SpotifyTokens(expires_in={self.expires_in}, scope={self.scope!r}, refresh_token={'yes' if self.refresh_token else 'no'})"


@dataclass(frozen=True)
class PkcePair:
    verifier: str
    challenge: str


def pkce_pair() -> PkcePair:
    verifier = secrets.token_urlsafe(64)  # 86 chars, inside RFC 7636's 43..128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return PkcePair(verifier=verifier, challenge=challenge)


def authorize_url(*, state: str, code_challenge: str, show_dialog: bool = False) -> str:
    params = {
        "client_id": settings.SPOTIFY_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": settings.SPOTIFY_REDIRECT_URI,
        "state": state,
        "scope": " ".join(SPOTIFY_SCOPES),
        "code_challenge_method": "S256",
        "code_challenge": code_challenge,
    }
    if show_dialog:
        params["show_dialog"] = "true"
    return f"{settings.SPOTIFY_ACCOUNTS_URL}/authorize?{urlencode(params)}"


_http_lock = threading.Lock()
_http: httpx.Client | None = None


def http_client() -> httpx.Client:
    """One pooled, thread-safe client per process (connections are reused across refreshes)."""
    global _http
    if _http is None:
        with _http_lock:
            if _http is None:
                pool = max(20, settings.SPOTIFY_REFRESH_CONCURRENCY * 2)
                _http = httpx.Client(
                    limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
                    headers={"User-Agent": "spotify-mcp-gateway"},
                )
    return _http


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _token_request(form: dict[str, str]) -> SpotifyTokens:
    form = dict(form)
    auth = None
    if settings.SPOTIFY_CLIENT_SECRET:
        auth = (settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET)
    else:
        form["client_id"] = settings.SPOTIFY_CLIENT_ID
    try:
        response = http_client().post(
            f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token", data=form, auth=auth, timeout=settings.SPOTIFY_HTTP_TIMEOUT_SECONDS
        )
    except httpx.TimeoutException as exc:
        raise SpotifyUnavailable("Spotify's accounts service did not answer in time") from exc
    except httpx.TransportError as exc:
        raise SpotifyUnavailable("Spotify's accounts service could not be reached") from exc

    if response.status_code == 200:
        try:
            body = response.json()
            return SpotifyTokens(
                access_token=body["access_token"],
                expires_in=int(body.get("expires_in", 3600)),
                scope=body.get("scope", ""),
                refresh_token=body.get("refresh_token") or None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SpotifyUnavailable("Spotify's accounts service sent an unreadable answer", status=200) from exc

    if response.status_code == 429:
        raise SpotifyRateLimited(
            "Spotify is rate limiting token requests", status=429, retry_after=_retry_after(response)
        )
    if response.status_code >= 500:
        raise SpotifyUnavailable(f"Spotify's accounts service failed (HTTP {response.status_code})", status=response.status_code)
    try:
        body = response.json()
        error, description = body.get("error", ""), body.get("error_description", "")
    except ValueError:
        error, description = "", ""
    if error == "invalid_grant":
        raise SpotifyGrantRevoked(
            f"Spotify refused the grant: {description or 'invalid_grant'}", status=response.status_code, reason=error
        )
    raise SpotifyRequestRejected(
        f"Spotify refused the token request: {error or response.status_code} {description}".strip(),
        status=response.status_code,
        reason=error,
    )


def exchange_code(*, code: str, code_verifier: str) -> SpotifyTokens:
    return _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": settings.SPOTIFY_REDIRECT_URI,
            "code_verifier": code_verifier,
        }
    )


def refresh_tokens(*, refresh_token: str) -> SpotifyTokens:
    return _token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})


def api_error(response: httpx.Response) -> SpotifyError:
    """Spotify's Web API error body `{"error": {"status", "message", "reason"}}` as an exception."""
    try:
        error = response.json().get("error") or {}
        if not isinstance(error, dict):
            error = {"message": str(error)}
    except ValueError:
        error = {}
    message = error.get("message") or f"Spotify answered HTTP {response.status_code}"
    reason = error.get("reason", "")
    if response.status_code == 429:
        return SpotifyRateLimited(message, status=429, reason=reason, retry_after=_retry_after(response))
    if response.status_code >= 500:
        return SpotifyUnavailable(message, status=response.status_code, reason=reason)
    return SpotifyRequestRejected(message, status=response.status_code, reason=reason)


def get_current_user(*, access_token: str) -> dict:
    try:
        response = http_client().get(
            f"{settings.SPOTIFY_API_URL}/me",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.SPOTIFY_HTTP_TIMEOUT_SECONDS,
        )
    except httpx.TimeoutException as exc:
        raise SpotifyUnavailable("Spotify's Web API did not answer in time") from exc
    except httpx.TransportError as exc:
        raise SpotifyUnavailable("Spotify's Web API could not be reached") from exc
    if response.status_code != 200:
        raise api_error(response)
    return response.json()
