"""Reads of Spotify grants."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from mcpgateway.core.revocation import EpochCache
from mcpgateway.spotify.models import SpotifyGrant


def grant_for_user(*, user) -> SpotifyGrant | None:
    return SpotifyGrant.objects.filter(user=user).first()


def grants_due_for_refresh(*, now: datetime, expiring_before: datetime) -> list[tuple[int, int]]:
    """(id, refresh_generation) of every active grant whose token ends before `expiring_before`,
    leaving out grants that a recent failure told us to leave alone for now."""
    return list(
        SpotifyGrant.objects.filter(status=SpotifyGrant.Status.ACTIVE, access_token_expires_at__lt=expiring_before)
        .filter(Q(next_refresh_attempt_at__isnull=True) | Q(next_refresh_attempt_at__lte=now))
        .order_by("access_token_expires_at")
        .values_list("pk", "refresh_generation")
    )


# Per-process cache of SpotifyGrant rows (and their absence) for the /mcp hot path, emptied when the
# revocation epoch moves (connect, disconnect, needs-reconnect and deletions move it: see services).
# A cached grant may hold an access token older than the row's after another process refreshed:
# Spotify keeps an access token valid until it expires, and near expiry the on-demand path reads
# the row again through the single-flight refresh, then `grant_cache_remember` keeps the newer one.
_grants_by_user = EpochCache()
_MISSING = object()


async def grant_for_user_cached(*, user_id: int, epoch: str | None) -> SpotifyGrant | None:
    """The person's grant as of `epoch` (the request's revocation epoch); a query only on a miss."""
    if epoch is None:
        return await SpotifyGrant.objects.filter(user_id=user_id).afirst()
    grant = _grants_by_user.get(user_id, epoch, _MISSING)
    if grant is _MISSING:
        grant = await SpotifyGrant.objects.filter(user_id=user_id).afirst()
        _grants_by_user.put(user_id, grant, epoch)
    return grant


def grant_cache_remember(grant: SpotifyGrant) -> None:
    """Keep a newer copy of a cached grant (after a refresh), if it is cached at all."""
    _grants_by_user.replace(grant.user_id, grant)


def grant_cache_clear() -> None:
    _grants_by_user.clear()
