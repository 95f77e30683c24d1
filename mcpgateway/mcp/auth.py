"""Verifying the bearer credentials `/mcp` accepts: one path for personal access tokens and OAuth
access tokens (issued by django-oauth-toolkit, see docs/oauth.md).

Verification is cached per process: a verified token is kept with the revocation epoch seen when
it was verified (see mcpgateway.core.revocation), so a request costs one epoch read, not a database
query, and a revocation anywhere empties every worker's cache at its next request.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from accounts.models import PersonalAccessToken
from accounts.services import PAT_PREFIX, token_digest
from mcpgateway.core.revocation import EpochCache, current_revocation_epoch
from mcpgateway.core.scopes import ALL_MCP_SCOPES, ALL_SCOPES

CACHE_SIZE = 10_000
# A safety net only: revocations reach the cache through the epoch at once.
CACHE_MAX_AGE_SECONDS = 300
# last_used_at is a hint for people, not an audit log: written at most once a minute per token.
LAST_USED_WRITE_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who a request to /mcp acts for, and what it may do."""

    user_id: int
    username: str
    scopes: frozenset[str]
    credential_id: str  # "pat:<token id>", or "oauth:<McpSession id>" of the OAuth authorization
    kind: str  # "pat" | "oauth"
    audience: str | None  # the resource an OAuth token is bound to; None for personal access tokens


@dataclass
class _Cached:
    principal: Principal
    verified_at: float
    expires_at: datetime | None
    last_used_at: datetime | None


_verified = EpochCache(CACHE_SIZE)


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value (RFC 6750 §2.1), or None."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate_bearer(token: str, *, epoch: str | None = None) -> Principal | None:
    """The principal of a bearer token, or None when it is unknown, expired or revoked.

    `epoch`: the revocation epoch the caller read for this request (read here when not given), so
    one request reads it once for everything it checks."""
    if not token or len(token) > 512:
        return None
    digest = token_digest(token)
    if epoch is None:
        epoch = await current_revocation_epoch()
    now = timezone.now()
    entry = _verified.get(digest, epoch)
    if entry is None or time.monotonic() - entry.verified_at > CACHE_MAX_AGE_SECONDS:
        load = _load_personal_access_token if token.startswith(PAT_PREFIX) else _load_oauth_access_token
        entry = await sync_to_async(load)(token, digest)
        if entry is None:
            return None
        _verified.put(digest, entry, epoch)
    principal, note_use = _still_valid(entry, now)
    if note_use:
        await PersonalAccessToken.objects.filter(token_digest=digest).aupdate(last_used_at=now)
    return principal


def authenticate_personal_access_token(token: str) -> Principal | None:
    """The principal of a personal access token, or None: the REST API's check (mcpgateway.api),
    synchronous and uncached (the API reads the database anyway), with authenticate_bearer's rules.
    OAuth access tokens are not accepted: they are bound to /mcp (RFC 8707 audience)."""
    if not token or len(token) > 512 or not token.startswith(PAT_PREFIX):
        return None
    digest = token_digest(token)
    entry = _load_personal_access_token(token, digest)
    if entry is None:
        return None
    now = timezone.now()
    principal, note_use = _still_valid(entry, now)
    if note_use:
        PersonalAccessToken.objects.filter(token_digest=digest).update(last_used_at=now)
    return principal


def _still_valid(entry: _Cached, now: datetime) -> tuple[Principal | None, bool]:
    """A verified token's principal if it has not expired since, and whether to write its
    last_used_at now (marked written in `entry`)."""
    if entry.expires_at is not None and entry.expires_at <= now:
        return None, False
    if entry.principal.kind == "oauth":
        return entry.principal, False  # "last seen" of an OAuth client is its session row's
    if entry.last_used_at is None or now - entry.last_used_at > LAST_USED_WRITE_INTERVAL:
        entry.last_used_at = now
        return entry.principal, True
    return entry.principal, False


def _load_oauth_access_token(token: str, digest: str) -> _Cached | None:
    """An access token django-oauth-toolkit issued (stored as its SHA-256 only), bound to /mcp
    (RFC 8707 audience), of a person whose authorization of the client is not revoked."""
    from oauth2_provider.models import get_access_token_model

    from mcpgateway.oauth.selectors import oauth_authorization_active

    access_token = (
        get_access_token_model().objects.select_related("user")
        .filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
        .first()
    )
    if access_token is None or access_token.user is None or not access_token.user.is_active:
        return None
    if access_token.is_expired() or settings.OAUTH_RESOURCE not in (access_token.resource or []):
        return None  # expired, or a token for another audience (or none): not ours to accept
    authorization = oauth_authorization_active(user_id=access_token.user_id, application_id=access_token.application_id)
    if authorization is None:
        return None
    principal = Principal(
        user_id=access_token.user_id,
        username=access_token.user.get_username(),
        scopes=frozenset(access_token.scope.split()) & ALL_MCP_SCOPES,
        credential_id=authorization.credential_id,
        kind="oauth",
        audience=settings.OAUTH_RESOURCE,
    )
    return _Cached(principal=principal, verified_at=time.monotonic(), expires_at=access_token.expires, last_used_at=None)


def _load_personal_access_token(token: str, digest: str) -> _Cached | None:
    pat = (
        PersonalAccessToken.objects.select_related("user")
        .filter(token_digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if pat is None or not pat.is_active:
        return None
    principal = Principal(
        user_id=pat.user_id,
        username=pat.user.get_username(),
        scopes=pat.scope_set & ALL_SCOPES,
        credential_id=pat.credential_id,
        kind="pat",
        audience=None,
    )
    return _Cached(principal=principal, verified_at=time.monotonic(), expires_at=pat.expires_at, last_used_at=pat.last_used_at)
