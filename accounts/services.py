"""Writes of people's own credentials: creating personal access tokens (revoking any credential is
mcpgateway.core.credentials: one path for tokens and OAuth authorizations)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from mcpgateway.core.scopes import GATEWAY_SCOPES

from .models import PersonalAccessToken

PAT_PREFIX = "smgp_"  # "Spotify MCP gateway personal": lets secret scanners recognise a leaked token


def token_digest(token: str) -> str:
    """Keyed hash of a token: without the server's pepper a stolen database reveals nothing usable."""
    return hmac.new(settings.TOKEN_HASH_PEPPER.encode(), token.encode(), hashlib.sha256).hexdigest()


def personal_access_token_create(*, user, name: str, scopes: set[str] | frozenset[str], expires_in_days: int | None) -> tuple[PersonalAccessToken, str]:
    """Create a token; returns the row and the plaintext, which is never stored and never shown again."""
    name = name.strip()
    if not name:
        raise ValueError("Give the token a name, so you can recognise it later.")
    if len(name) > 100:
        raise ValueError("Token names are at most 100 characters.")
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in name):
        # NUL among them, which PostgreSQL cannot store.
        raise ValueError("Token names cannot contain control characters.")
    unknown = set(scopes) - set(GATEWAY_SCOPES)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    if not scopes:
        raise ValueError("Choose at least one scope.")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValueError("Expiry must be between 1 and 3650 days, or never.")
    plaintext = PAT_PREFIX + secrets.token_urlsafe(32)
    pat = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        token_prefix=plaintext[: len(PAT_PREFIX) + 4],
        token_digest=token_digest(plaintext),
        scopes=" ".join(sorted(scopes)),
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return pat, plaintext
