"""Spotify's accounts service: where a person is sent to connect Spotify (the authorize URL, with
PKCE, RFC 7636) and where the gateway exchanges the code for tokens and refreshes them
(RFC 6749 §4.1.3 and §6).

Synchronous: `services` calls it from views, Celery tasks and the refresh sweep's threads. Requests
go through `transport`, whose exceptions it raises (`SpotifyGrantRevoked` for `invalid_grant`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

from .transport import SpotifyService, error_from_answer, read_answer, send

ACCOUNTS = SpotifyService.ACCOUNTS

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


@dataclass(frozen=True)
class SpotifyTokens:
    access_token: str
    expires_in: int
    scope: str
    # Spotify may leave it out of a refresh answer: then the old refresh token stays valid.
    refresh_token: str | None

    def __repr__(self) -> str:  # tokens never end up in logs
        return f"SpotifyTokens(expires_in={self.expires_in}, scope={self.scope!r}, refresh_token={'yes' if self.refresh_token else 'no'})"

    @classmethod
    def from_answer(cls, body: dict) -> SpotifyTokens:
        """The token endpoint's answer (RFC 6749 §5.1)."""
        return cls(
            access_token=body["access_token"],
            expires_in=int(body.get("expires_in", 3600)),
            scope=body.get("scope", ""),
            refresh_token=body.get("refresh_token") or None,
        )


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


def _token_request(form: dict[str, str]) -> SpotifyTokens:
    form = dict(form)
    auth = None
    if settings.SPOTIFY_CLIENT_SECRET:
        auth = (settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET)
    else:
        form["client_id"] = settings.SPOTIFY_CLIENT_ID  # a public client names itself (RFC 6749 §4.1.3)
    response = send(ACCOUNTS, "POST", f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token", data=form, auth=auth)
    if response.status_code != 200:
        raise error_from_answer(response, service=ACCOUNTS)
    return read_answer(response, service=ACCOUNTS, read=SpotifyTokens.from_answer)


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
