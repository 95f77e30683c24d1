"""Reads of Spotify grants."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from mcpgateway.models import SpotifyGrant


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
