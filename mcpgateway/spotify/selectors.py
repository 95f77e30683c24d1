"""Reads of Spotify grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from mcpgateway.core.revocation import EpochCache
from mcpgateway.spotify.models import REFRESH_TOKEN_LIFETIME, SpotifyGrant


def grant_for_user(*, user) -> SpotifyGrant | None:
    return SpotifyGrant.objects.filter(user=user).first()


def grant_holds_a_place(grant: SpotifyGrant | None) -> bool:
    """Whether this grant takes one of the Spotify app's places: connected, or needing a reconnect
    (the person is still on the app's user list at Spotify). Disconnecting frees the place."""
    return grant is not None and grant.status != SpotifyGrant.Status.DISCONNECTED


@dataclass(frozen=True)
class SpotifyAppUsage:
    """The Spotify app the gateway uses and how full it is (SPOTIFY_APP_USER_LIMIT, 0: no limit)."""

    client_id: str
    is_emulator: bool
    connected: int  # people whose grant holds a place (grant_holds_a_place)
    needs_reconnect: int
    limit: int
    ending_soon: int = 0  # active, within SPOTIFY_GRANT_EXPIRY_WARNING_DAYS of Spotify's six months

    @property
    def is_full(self) -> bool:
        return self.limit > 0 and self.connected >= self.limit


def ending_soon_q(*, now: datetime | None = None) -> Q:
    """Active grants within SPOTIFY_GRANT_EXPIRY_WARNING_DAYS of Spotify's six months (none if 0)."""
    days = settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS
    if days <= 0:
        return Q(pk__in=[])
    cutoff = (now or timezone.now()) - REFRESH_TOKEN_LIFETIME + timedelta(days=days)
    return Q(status=SpotifyGrant.Status.ACTIVE, consented_at__lte=cutoff)


def grants_ending_soon(*, now: datetime | None = None):
    return SpotifyGrant.objects.filter(ending_soon_q(now=now))


def spotify_app_usage() -> SpotifyAppUsage:
    counts = SpotifyGrant.objects.aggregate(
        connected=Count("pk", filter=~Q(status=SpotifyGrant.Status.DISCONNECTED)),
        needs_reconnect=Count("pk", filter=Q(status=SpotifyGrant.Status.NEEDS_RECONNECT)),
        ending_soon=Count("pk", filter=ending_soon_q()),
    )
    return SpotifyAppUsage(
        client_id=settings.SPOTIFY_CLIENT_ID,
        is_emulator=settings.SPOTIFY_USE_EMULATOR,
        connected=counts["connected"],
        needs_reconnect=counts["needs_reconnect"],
        limit=max(settings.SPOTIFY_APP_USER_LIMIT, 0),
        ending_soon=counts["ending_soon"],
    )


def spotify_app_admins() -> str:
    """Whom a person asks about the Spotify app: the active admins (staff), by name and email."""
    admins = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    named = [
        f"{admin.get_full_name() or admin.get_username()}" + (f" ({admin.email})" if admin.email else "")
        for admin in admins
    ]
    return ", ".join(named) or "the gateway's administrator"


def connect_refusal(*, grant: SpotifyGrant | None) -> str | None:
    """Why this person may not start a Spotify connection now, or None. Only the app's user limit
    refuses, and never someone whose grant already holds a place (they may always reconnect)."""
    if grant_holds_a_place(grant):
        return None
    usage = spotify_app_usage()
    if not usage.is_full:
        return None
    return (
        f"This gateway's Spotify app is in Spotify's Development Mode, where Spotify lets at most {usage.limit} "
        f"people use it, and {usage.connected} are connected: Spotify would refuse your account. "
        f"Ask {spotify_app_admins()} to free a place (someone who no longer uses it disconnects and is removed "
        "from the app's users in Spotify's developer dashboard) or to raise the limit once Spotify grants the app "
        "extended quota."
    )


def allowlist_advice(*, user, grant: SpotifyGrant | None) -> str | None:
    """Before a person's first connection to the real Spotify app in Development Mode: whom to ask
    to add them in Spotify's developer dashboard, unless an admin recorded they did. Advice only:
    the gateway cannot read Spotify's list, so it never refuses on it."""
    if grant_holds_a_place(grant) or settings.SPOTIFY_USE_EMULATOR or settings.SPOTIFY_APP_USER_LIMIT <= 0:
        return None
    if user.spotify_allowlisted:
        return None
    return (
        f"Spotify only lets the accounts this gateway's app owner added in Spotify's developer dashboard connect. "
        f"Before connecting, ask {spotify_app_admins()} to add your Spotify account's email there "
        "(Users and Access)."
    )


def grants_due_for_refresh(*, now: datetime, expiring_before: datetime) -> list[tuple[int, int]]:
    """(id, refresh_generation) of every active grant whose token ends before `expiring_before`,
    leaving out grants that a recent failure told us to leave alone for now, and grants another
    process holds the refresh lease of: it is refreshing them, or it died doing so (a killed worker)
    and the lease must run out first. Waiting on such a lease would hold a sweep thread for up to
    REFRESH_LEASE_SECONDS; the next sweep after it expires takes the grant."""
    return list(
        SpotifyGrant.objects.filter(status=SpotifyGrant.Status.ACTIVE, access_token_expires_at__lt=expiring_before)
        .filter(Q(next_refresh_attempt_at__isnull=True) | Q(next_refresh_attempt_at__lte=now))
        .filter(Q(refresh_lease="") | Q(refresh_lease_expires_at__lt=now))
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
