"""Writes of Spotify grants: connecting an account, refreshing its tokens, disconnecting it.

A Spotify token is refreshed under the grant's refresh lease (one conditional UPDATE) and saved
by `_save_refreshed_tokens` / `_save_refresh_failure` only while that lease holds. The on-demand
path (`grant_with_fresh_token`, before any Spotify request) goes through `grant_refresh`, one grant
at a time; the Celery beat task (`grants_refresh_expiring`) takes the same leases and applies the
same rules (`_token_request`) in batches of SWEEP_BATCH grants.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from concurrent import futures
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from mcpgateway.core.crypto import SecretToken
from mcpgateway.core.metrics import REFRESH_SWEEP_DURATION, TOKEN_REFRESHES
from mcpgateway.core.revocation import announce_revocation_on_commit, bump_revocation_epoch
from mcpgateway.dashboard.events import dashboard_event_on_commit
from mcpgateway.spotify.models import REFRESH_TOKEN_LIFETIME, SpotifyGrant

from . import accounts, webapi
from .notices import grant_notices_send
from .selectors import connect_refusal, grant_for_user, grants_due_for_refresh
from .transport import SpotifyError, SpotifyGrantRevoked, SpotifyRateLimited, SpotifyUnavailable

logger = logging.getLogger(__name__)

CONNECT_SESSION_KEY = "spotify_connect_pending"
# Several tabs may start a connection at once; beyond this many the oldest are dropped.
MAX_PENDING_CONNECTS = 5
# Longer than the worst refresh attempt (retries with backoff and Retry-After waits), so a live
# leader never loses its lease; short enough that a crashed leader blocks the grant only briefly.
REFRESH_LEASE_SECONDS = 90
REFRESH_WAIT_POLL_SECONDS = 0.05
# The beat's sweep takes leases, reads grants and saves outcomes this many grants at a time.
SWEEP_BATCH = 100


class ConnectError(Exception):
    """A Spotify connection could not be completed; the message is meant for the person."""


class GrantNeedsReconnect(Exception):
    """The grant cannot be refreshed any more: the person must connect Spotify again."""


class GrantRefreshFailed(Exception):
    """A refresh failed for now (Spotify down, rate limited, misconfigured); it may work later."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def _bump_after_commit() -> None:
    """Call after a change to a grant's status: every worker's cached grants are stale once it
    commits (see selectors.grant_for_user_cached). Outside a transaction this runs at once."""
    transaction.on_commit(bump_revocation_epoch)


# --- Connecting ---------------------------------------------------------------------------------


def connect_start(*, user, session) -> str:
    """Remember a fresh `state` and PKCE verifier in the person's session; return Spotify's URL.
    Raises ConnectError, before sending anyone to Spotify, when the app's user limit is reached."""
    grant = grant_for_user(user=user)
    refusal = connect_refusal(grant=grant)
    if refusal:
        raise ConnectError(refusal)
    reconnect = grant is not None
    state = secrets.token_urlsafe(32)
    pkce = accounts.pkce_pair()
    pending = dict(session.get(CONNECT_SESSION_KEY) or {})
    pending[state] = {"verifier": pkce.verifier, "created": time.time(), "user_id": user.pk}
    for stale in sorted(pending, key=lambda s: pending[s]["created"])[:-MAX_PENDING_CONNECTS]:
        del pending[stale]
    session[CONNECT_SESSION_KEY] = pending
    logger.info("Spotify connection started for user %s", user.pk)
    return accounts.authorize_url(state=state, code_challenge=pkce.challenge, show_dialog=reconnect)


def connect_complete(*, user, session, state: str | None, code: str | None, error: str | None) -> SpotifyGrant:
    """Finish a connection from Spotify's callback. Raises ConnectError, storing nothing, on any fault."""
    if not state:
        raise ConnectError("Spotify's answer carried no state, so it cannot be matched to your request. Nothing was connected.")
    pending = dict(session.get(CONNECT_SESSION_KEY) or {})
    entry = pending.pop(state, None)  # single use, whatever happens next
    session[CONNECT_SESSION_KEY] = pending
    if entry is None or entry.get("user_id") != user.pk:
        raise ConnectError(
            "This Spotify answer does not match a connection you started here (or was already used). "
            "Nothing was connected; use Connect Spotify to start again."
        )
    if time.time() - entry["created"] > settings.SPOTIFY_CONNECT_STATE_TTL_SECONDS:
        raise ConnectError("The Spotify sign-in took too long and expired. Nothing was connected; please try again.")
    if error:
        if error == "access_denied":
            raise ConnectError("You did not allow access on Spotify, so nothing was connected.")
        raise ConnectError(f"Spotify reported an error ({error[:60]}). Nothing was connected; please try again.")
    if not code:
        raise ConnectError("Spotify's answer carried no authorization code. Nothing was connected; please try again.")
    # The last place may have been taken while this person was at Spotify.
    refusal = connect_refusal(grant=grant_for_user(user=user))
    if refusal:
        raise ConnectError(refusal)

    try:
        tokens = accounts.exchange_code(code=code, code_verifier=entry["verifier"])
        profile = webapi.current_user(access_token=tokens.access_token)
    except SpotifyError as exc:
        logger.warning("Spotify connection for user %s failed: %s", user.pk, exc.message)
        raise ConnectError(f"Spotify could not complete the connection ({exc.message}). Nothing was saved; please try again.") from exc
    if not tokens.refresh_token:
        raise ConnectError("Spotify did not issue a refresh token. Nothing was saved; please try again.")

    spotify_user_id = str(profile.get("id") or "")
    if not spotify_user_id:
        raise ConnectError("Spotify did not say which account this is. Nothing was saved; please try again.")
    taken = (
        SpotifyGrant.objects.filter(spotify_user_id=spotify_user_id, status=SpotifyGrant.Status.ACTIVE)
        .exclude(user=user)
        .exists()
    )
    if taken:
        raise ConnectError("That Spotify account is already connected to another person on this gateway. Nothing was saved.")

    now = timezone.now()
    with transaction.atomic():
        # The check before the exchange spared a needless trip; this one, with the places locked,
        # is the one that counts: two people racing for the last place cannot both take it.
        _lock_spotify_app_places()
        refusal = connect_refusal(grant=grant_for_user(user=user))
        if refusal:
            raise ConnectError(refusal)
        grant, _ = SpotifyGrant.objects.select_for_update().get_or_create(user=user, defaults={"spotify_user_id": spotify_user_id})
        grant.spotify_user_id = spotify_user_id
        grant.display_name = (profile.get("display_name") or spotify_user_id)[:255]
        grant.product = (profile.get("product") or "")[:32]
        grant.scopes = tokens.scope
        grant.status = SpotifyGrant.Status.ACTIVE
        grant.access_token = SecretToken.from_plaintext(tokens.access_token)
        grant.refresh_token = SecretToken.from_plaintext(tokens.refresh_token)
        grant.access_token_expires_at = now + timedelta(seconds=tokens.expires_in)
        grant.consented_at = now
        grant.last_refreshed_at = None
        grant.last_error = ""
        grant.last_error_at = None
        grant.refresh_failures = 0
        grant.next_refresh_attempt_at = None
        grant.expiry_notice_sent_at = None  # a new consent: new six months, new notices
        grant.reconnect_notice_sent_at = None
        grant.refresh_generation = F("refresh_generation") + 1
        grant.refresh_lease = ""
        grant.refresh_lease_expires_at = None
        grant.save()  # its post_save signal tells every worker's grant cache (mcpgateway.core.signals)
        dashboard_event_on_commit(user_id=user.pk, kind="spotify_status", status=SpotifyGrant.Status.ACTIVE)
    grant.refresh_from_db()
    logger.info("User %s connected Spotify account %s", user.pk, spotify_user_id)
    return grant


# pg_advisory_xact_lock's key for "a Spotify grant takes a place in the app" (any constant of ours).
SPOTIFY_APP_PLACES_LOCK = 0x5370_6F74  # "Spot"


def _lock_spotify_app_places() -> None:
    """Serialise the connections that may take a place until the transaction ends. SQLite needs
    nothing: its transactions are IMMEDIATE (config/settings.py), one writer at a time."""
    if settings.SPOTIFY_APP_USER_LIMIT > 0 and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SPOTIFY_APP_PLACES_LOCK])


def _tokens_dropped(status: str) -> dict:
    """The UPDATE that ends a grant's use: `status`, no tokens, any refresh in flight cut off."""
    return {
        "status": status,
        "access_token": None,
        "refresh_token": None,
        "refresh_generation": F("refresh_generation") + 1,
        "refresh_lease": "",
        "refresh_lease_expires_at": None,
        "updated_at": timezone.now(),
    }


def grant_disconnect(*, grant: SpotifyGrant) -> SpotifyGrant:
    """Forget the tokens. Spotify has no revoke endpoint: the person removes the app at Spotify."""
    SpotifyGrant.objects.filter(pk=grant.pk).update(**_tokens_dropped(SpotifyGrant.Status.DISCONNECTED), access_token_expires_at=None)
    _bump_after_commit()
    # A tool call in flight acts with the grant the person just withdrew: its stream ends too.
    announce_revocation_on_commit(user_ids=[grant.user_id])
    dashboard_event_on_commit(user_id=grant.user_id, kind="spotify_status", status=SpotifyGrant.Status.DISCONNECTED)
    grant.refresh_from_db()
    logger.info("Spotify grant %s of user %s disconnected", grant.pk, grant.user_id)
    return grant


# --- Refreshing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    grant: SpotifyGrant
    # True when this call made the token request; False when another caller's refresh served it.
    performed: bool


def token_is_fresh(grant: SpotifyGrant) -> bool:
    """Active, with an access token that will last past the on-demand margin."""
    margin = timedelta(seconds=settings.SPOTIFY_ON_DEMAND_REFRESH_MARGIN_SECONDS)
    return (
        grant.status == SpotifyGrant.Status.ACTIVE
        and grant.access_token is not None
        and grant.access_token_expires_at is not None
        and grant.access_token_expires_at > timezone.now() + margin
    )


def grant_with_fresh_token(*, grant: SpotifyGrant) -> SpotifyGrant:
    """The grant with an access token that lasts past the on-demand margin: `grant` itself, or the
    grant as refreshed (by this call or a concurrent one) when its token is about to expire."""
    if grant.status != SpotifyGrant.Status.ACTIVE or grant.access_token is None:
        raise GrantNeedsReconnect("Spotify is not connected")
    if token_is_fresh(grant):
        return grant
    return grant_refresh(grant=grant, expected_generation=grant.refresh_generation).grant


def grant_refresh(*, grant: SpotifyGrant, expected_generation: int | None = None, wait_seconds: float | None = None) -> RefreshResult:
    """Refresh the grant's access token, single-flight across threads and processes.

    `expected_generation` is the `refresh_generation` the caller saw when it decided a refresh was
    due. Whoever takes the grant's lease (one conditional UPDATE, atomic on every database) makes the
    one token request; callers that lose wait until the generation moves and share that outcome.
    If it has already moved, someone else refreshed meanwhile and no request is made. `None`
    refreshes whatever is current (the admin's "refresh now").

    Raises GrantNeedsReconnect (final) or GrantRefreshFailed (temporary).
    """
    if expected_generation is None:
        expected_generation = SpotifyGrant.objects.values_list("refresh_generation", flat=True).get(pk=grant.pk)
    if wait_seconds is None:
        wait_seconds = REFRESH_LEASE_SECONDS
    lease = secrets.token_hex(16)
    deadline = time.monotonic() + wait_seconds
    while True:
        now = timezone.now()
        taken = (
            SpotifyGrant.objects.filter(pk=grant.pk, refresh_generation=expected_generation, status=SpotifyGrant.Status.ACTIVE)
            .filter(Q(refresh_lease="") | Q(refresh_lease_expires_at__lt=now))
            .update(refresh_lease=lease, refresh_lease_expires_at=now + timedelta(seconds=REFRESH_LEASE_SECONDS))
        )
        if taken:
            break
        current = SpotifyGrant.objects.get(pk=grant.pk)
        if current.refresh_generation != expected_generation or current.status != SpotifyGrant.Status.ACTIVE:
            return RefreshResult(grant=_outcome_of_other_refresh(current), performed=False)
        if time.monotonic() > deadline:
            raise GrantRefreshFailed("Another refresh of this Spotify connection is taking too long")
        time.sleep(REFRESH_WAIT_POLL_SECONDS)
    try:
        try:
            refreshed = _refresh_holding_lease(grant_id=grant.pk, lease=lease)
        except GrantNeedsReconnect:
            TOKEN_REFRESHES.labels("needs_reconnect").inc()
            raise
        except GrantRefreshFailed as exc:
            TOKEN_REFRESHES.labels("rate_limited" if exc.retry_after is not None else "failed").inc()
            raise
        TOKEN_REFRESHES.labels("refreshed").inc()
        return RefreshResult(grant=refreshed, performed=True)
    finally:
        # Only matters if something unexpected escaped: never leave the grant locked.
        SpotifyGrant.objects.filter(pk=grant.pk, refresh_lease=lease).update(refresh_lease="", refresh_lease_expires_at=None)


def _outcome_of_other_refresh(grant: SpotifyGrant) -> SpotifyGrant:
    if grant.status != SpotifyGrant.Status.ACTIVE:
        raise GrantNeedsReconnect(grant.last_error or "Spotify is not connected")
    if grant.last_error:
        raise GrantRefreshFailed(grant.last_error)
    return grant


def _refresh_holding_lease(*, grant_id: int, lease: str) -> SpotifyGrant:
    grant = SpotifyGrant.objects.get(pk=grant_id)
    return _outcome_save(grant, lease, _token_request(grant))


@dataclass
class _Failure:
    """Why a token request failed, as `_save_refresh_failure` records it, and the exception to raise."""

    message: str
    error: Exception
    needs_reconnect: bool = False
    retry_in: float | None = None


def _token_request(grant: SpotifyGrant) -> accounts.SpotifyTokens | _Failure:
    """Spotify's answer to the grant's refresh token, retried as Spotify's answer allows; no
    database access (the sweep runs many of these at once on threads that hold no connection)."""
    refresh_token = grant.refresh_token.reveal()
    attempts = max(1, settings.SPOTIFY_REFRESH_MAX_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            return accounts.refresh_tokens(refresh_token=refresh_token)
        except SpotifyGrantRevoked as exc:
            # Final: a used, revoked or six-month-old refresh token never comes back.
            logger.warning("Spotify grant %s needs reconnect: %s", grant.pk, exc.message)
            return _Failure(exc.message, GrantNeedsReconnect(exc.message), needs_reconnect=True)
        except SpotifyRateLimited as exc:
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            if attempt < attempts and wait <= settings.SPOTIFY_MAX_RETRY_AFTER_SECONDS:
                logger.info("Spotify rate limited the refresh of grant %s; retrying in %.1fs", grant.pk, wait)
                time.sleep(wait)
                continue
            return _Failure(exc.message, GrantRefreshFailed(exc.message, retry_after=wait), retry_in=wait)
        except SpotifyUnavailable as exc:
            if attempt < attempts:
                backoff = 0.5 * 2 ** (attempt - 1) * (1 + random.random() / 2)
                logger.info("Refresh of grant %s failed (%s); retry %d in %.1fs", grant.pk, exc.message, attempt, backoff)
                time.sleep(backoff)
                continue
            return _Failure(exc.message, GrantRefreshFailed(exc.message), retry_in=min(60 * 2**grant.refresh_failures, 900))
        except SpotifyError as exc:
            return _Failure(exc.message, GrantRefreshFailed(exc.message), retry_in=300)
    raise AssertionError("unreachable")


def _outcome_save(grant: SpotifyGrant, lease: str, outcome: accounts.SpotifyTokens | _Failure) -> SpotifyGrant:
    """Save what the token request brought (the grant, refreshed), or its failure (then raise
    GrantNeedsReconnect or GrantRefreshFailed)."""
    if isinstance(outcome, _Failure):
        _save_refresh_failure(grant, lease, outcome.message, needs_reconnect=outcome.needs_reconnect, retry_in=outcome.retry_in)
        raise outcome.error
    return _save_refreshed_tokens(grant, lease, outcome)


def _refreshed_fields(tokens: accounts.SpotifyTokens, now) -> dict:
    """The columns a successful refresh writes (but refresh_generation, moved by one)."""
    changes = {
        "access_token": SecretToken.from_plaintext(tokens.access_token),
        "access_token_expires_at": now + timedelta(seconds=tokens.expires_in),
        "last_refreshed_at": now,
        "last_error": "",
        "last_error_at": None,
        "refresh_failures": 0,
        "next_refresh_attempt_at": None,
        "refresh_lease": "",
        "refresh_lease_expires_at": None,
        "updated_at": now,
    }
    # Spotify rotates PKCE refresh tokens (the old one is now dead) but may leave the new one out:
    # then the old one is still the valid one and is kept.
    if tokens.refresh_token:
        changes["refresh_token"] = SecretToken.from_plaintext(tokens.refresh_token)
    if tokens.scope:
        changes["scopes"] = tokens.scope
    return changes


# Every column _refreshed_fields may write, for the sweep's bulk_update.
_REFRESHED_COLUMNS = ("access_token", "access_token_expires_at", "last_refreshed_at", "last_error", "last_error_at", "refresh_failures",
                      "next_refresh_attempt_at", "refresh_lease", "refresh_lease_expires_at", "updated_at", "refresh_token", "scopes",
                      "refresh_generation")


def _save_refreshed_tokens(grant: SpotifyGrant, lease: str, tokens: accounts.SpotifyTokens) -> SpotifyGrant:
    changes = _refreshed_fields(tokens, timezone.now())
    saved = _save_through_database_outage(grant, lease, {**changes, "refresh_generation": F("refresh_generation") + 1})
    if not saved:
        logger.error("Refresh lease of grant %s expired before its new tokens were saved", grant.pk)
        raise GrantRefreshFailed("The refresh took too long to be saved")
    # What was just written, without reading the row back (the sweep does thousands of these).
    changes["refresh_generation"] = grant.refresh_generation + 1
    for name, value in changes.items():
        setattr(grant, name, value)
    return grant


# Spotify has already rotated the refresh token: the one in `changes` is the only copy, and the
# grant's stored one is dead. A database restart at this moment must not cost the person their
# connection, so the save is retried for a while (well within the lease) instead of given up.
TOKEN_SAVE_RETRY_SECONDS = 30.0


def _save_through_database_outage(grant: SpotifyGrant, lease: str, changes: dict) -> int:
    return _through_database_outage(lambda: SpotifyGrant.objects.filter(pk=grant.pk, refresh_lease=lease).update(**changes),
                                    what=f"the refreshed tokens of grant {grant.pk}")


def _through_database_outage(save, *, what: str):
    """`save()`'s result, tried again for TOKEN_SAVE_RETRY_SECONDS while the database is unreachable
    (its broken connection closed between tries); raises once that time is over."""
    deadline = time.monotonic() + TOKEN_SAVE_RETRY_SECONDS
    while True:
        try:
            return save()
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                logger.error("Saving %s failed: the database stayed unreachable", what)
                raise
            logger.warning("Saving %s failed (database unreachable); retrying", what)
            if not connection.in_atomic_block:
                connection.close()  # the broken connection; the next query opens a new one
            time.sleep(1.0)


def _save_refresh_failure(grant: SpotifyGrant, lease: str, message: str, *, needs_reconnect: bool = False, retry_in: float | None = None) -> None:
    now = timezone.now()
    changes = {
        "last_error": message[:500],
        "last_error_at": now,
        "refresh_failures": F("refresh_failures") + 1,
        "refresh_generation": F("refresh_generation") + 1,
        "refresh_lease": "",
        "refresh_lease_expires_at": None,
        "updated_at": now,
    }
    if needs_reconnect:
        changes.update(status=SpotifyGrant.Status.NEEDS_RECONNECT, access_token=None, refresh_token=None, next_refresh_attempt_at=None)
    elif retry_in is not None:
        changes["next_refresh_attempt_at"] = now + timedelta(seconds=retry_in)
    SpotifyGrant.objects.filter(pk=grant.pk, refresh_lease=lease).update(**changes)
    if needs_reconnect:
        _bump_after_commit()
        dashboard_event_on_commit(user_id=grant.user_id, kind="spotify_status", status=SpotifyGrant.Status.NEEDS_RECONNECT)


# --- The beat's sweep ---------------------------------------------------------------------------


@dataclass
class RefreshSweepReport:
    due: int = 0
    refreshed: int = 0
    skipped: int = 0
    failed: int = 0
    needs_reconnect: int = 0
    ended: int = 0  # past six months after consent, flagged without asking Spotify
    notices_sent: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.due} grants due: {self.refreshed} refreshed, {self.skipped} skipped, "
            f"{self.failed} failed, {self.needs_reconnect} need reconnect, in {self.seconds:.1f}s"
        )


GRANT_ENDED_MESSAGE = "Spotify ends a connection six months after you allowed it, and this one's six months are over"


def grants_flag_ended(*, now=None) -> int:
    """Flag every active grant past Spotify's six months (consented_at + REFRESH_TOKEN_LIFETIME) as
    needing a reconnect, before anyone meets it at a tool call: Spotify refuses its refresh token.
    The number flagged."""
    now = now or timezone.now()
    flagged = SpotifyGrant.objects.filter(status=SpotifyGrant.Status.ACTIVE, consented_at__lte=now - REFRESH_TOKEN_LIFETIME).update(
        **_tokens_dropped(SpotifyGrant.Status.NEEDS_RECONNECT), last_error=GRANT_ENDED_MESSAGE, last_error_at=now, next_refresh_attempt_at=None,
    )
    if flagged:
        _bump_after_commit()
        logger.info("Refresh sweep: %d grants reached Spotify's six months and need reconnect", flagged)
    return flagged


def _leases_take(batch: list[tuple[int, int]], *, lease: str, skipped) -> list[SpotifyGrant]:
    """Take the refresh lease of every grant of `batch` ((id, generation) found due) that is still
    active, at that generation and not leased by anyone: one UPDATE, then one SELECT of the rows
    taken. The others are someone else's refresh (`skipped` is called once for each)."""
    now = timezone.now()
    still_due = Q()
    for grant_id, generation in batch:
        still_due |= Q(pk=grant_id, refresh_generation=generation)
    SpotifyGrant.objects.filter(still_due, status=SpotifyGrant.Status.ACTIVE).filter(
        Q(refresh_lease="") | Q(refresh_lease_expires_at__lt=now)
    ).update(refresh_lease=lease, refresh_lease_expires_at=now + timedelta(seconds=REFRESH_LEASE_SECONDS))
    taken = list(SpotifyGrant.objects.filter(pk__in=[grant_id for grant_id, _ in batch], refresh_lease=lease))
    for _ in range(len(batch) - len(taken)):
        skipped()
    return taken


def _outcomes_save(finished: list, *, lease: str, record) -> None:
    """Save the outcomes of a batch of token requests in one transaction: the rows whose lease is
    still ours (locked until the commit), the refreshed ones with one bulk UPDATE. Spotify has
    already rotated the refresh tokens in `finished`: like _save_refreshed_tokens, a database that
    drops the connection is tried again for TOKEN_SAVE_RETRY_SECONDS (the whole transaction, which
    is why the outcomes are only counted once it committed)."""
    outcomes = _through_database_outage(lambda: _outcomes_write(finished, lease=lease), what=f"the outcomes of {len(finished)} refreshes")
    for outcome, error in outcomes:
        TOKEN_REFRESHES.labels(outcome).inc()
        record(outcome, error)


def _outcomes_write(finished: list, *, lease: str) -> list[tuple[str, str | None]]:
    """One try of _outcomes_save; the outcome of each grant ("refreshed", "failed",
    "needs_reconnect") with its error. Leaves the grant objects as they were read."""
    outcomes: list[tuple[str, str | None]] = []
    with transaction.atomic():
        ids = [grant.pk for grant, _ in finished]
        held = set(SpotifyGrant.objects.select_for_update().filter(pk__in=ids, refresh_lease=lease).values_list("pk", flat=True))
        now = timezone.now()
        refreshed = []
        for grant, outcome in finished:
            if isinstance(outcome, BaseException):
                logger.error("Refresh of grant %s failed unexpectedly", grant.pk, exc_info=outcome)
                SpotifyGrant.objects.filter(pk=grant.pk, refresh_lease=lease).update(refresh_lease="", refresh_lease_expires_at=None)
                outcomes.append(("failed", "unexpected error"))
            elif grant.pk not in held:
                logger.error("Refresh lease of grant %s expired before its new tokens were saved", grant.pk)
                outcomes.append(("failed", "The refresh took too long to be saved"))
            elif isinstance(outcome, _Failure):
                _save_refresh_failure(grant, lease, outcome.message, needs_reconnect=outcome.needs_reconnect, retry_in=outcome.retry_in)
                outcomes.append(("needs_reconnect" if outcome.needs_reconnect else "failed", outcome.message))
            else:
                # Nobody moves the generation of a grant whose lease we hold: +1 of what we read is right.
                refreshed.append((grant, {**_refreshed_fields(outcome, now), "refresh_generation": grant.refresh_generation + 1}))
                outcomes.append(("refreshed", None))
        _rows_update(refreshed, _REFRESHED_COLUMNS)
    return outcomes


def _rows_update(grants: list[tuple[SpotifyGrant, dict]], columns: tuple[str, ...]) -> None:
    """One parametrised UPDATE run for every grant (executemany): Django's bulk_update builds a
    CASE per column and row, which costs more to compile than the sweep saves by batching."""
    if not grants:
        return
    fields = [SpotifyGrant._meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(SpotifyGrant._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
           f"WHERE {quote(SpotifyGrant._meta.pk.column)} = %s")
    # A column the outcome does not change (a refresh that kept its refresh token) keeps the grant's value.
    rows = [[f.get_db_prep_save(values[f.name] if f.name in values else getattr(grant, f.attname), connection) for f in fields] + [grant.pk]
            for grant, values in grants]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)

def grants_refresh_expiring(*, margin_seconds: int | None = None, concurrency: int | None = None, progress_every: float = 5.0) -> RefreshSweepReport:
    """The beat's sweep: flag grants past Spotify's six months, refresh every active grant whose
    token expires within the margin (`concurrency` at a time), then mail the people whose grant
    ends soon or stopped working (once per event: mcpgateway.spotify.notices).

    Every active grant is refreshed here about once per access-token lifetime (an hour) whether
    or not anyone uses it, so a grant that died at Spotify (invalid_grant: the app removed from
    the person's account, a token used elsewhere) is found within the hour, ahead of use."""
    with REFRESH_SWEEP_DURATION.time():
        report = RefreshSweepReport(ended=grants_flag_ended())
        _refresh_due(report, margin_seconds=margin_seconds, concurrency=concurrency, progress_every=progress_every)
        report.notices_sent = grant_notices_send()
    return report


def _refresh_due(report: RefreshSweepReport, *, margin_seconds: int | None, concurrency: int | None, progress_every: float) -> None:
    """Batched, for thousands of grants: this thread takes the leases of SWEEP_BATCH grants with one
    UPDATE and reads them with one SELECT, `workers` threads send the token requests (and touch no
    database), and this thread saves their outcomes SWEEP_BATCH at a time in one transaction (one
    commit, not one per grant: on SQLite each commit is a write lock and a sync). The lease and the
    rules of a refresh are grant_refresh's: a grant whose lease someone else holds, or whose
    generation moved since it was found due, is theirs (skipped)."""
    margin = settings.SPOTIFY_REFRESH_MARGIN_SECONDS if margin_seconds is None else margin_seconds
    workers = max(1, concurrency or settings.SPOTIFY_REFRESH_CONCURRENCY)
    now = timezone.now()
    due = grants_due_for_refresh(now=now, expiring_before=now + timedelta(seconds=margin))
    report.due = len(due)
    started = time.monotonic()
    if not due:
        logger.info("Refresh sweep: no grant expires within %ss", margin)
        return
    logger.info("Refresh sweep: %d grants expire within %ss; refreshing %d at a time", len(due), margin, workers)

    def record(outcome: str, error: str | None = None) -> None:
        setattr(report, outcome, getattr(report, outcome) + 1)
        if error:
            report.errors[error] = report.errors.get(error, 0) + 1

    lease = secrets.token_hex(16)  # one lease value for the sweep: each UPDATE is still conditional per grant
    batches = [due[i:i + SWEEP_BATCH] for i in range(0, len(due), SWEEP_BATCH)]
    in_flight: set[futures.Future] = set()
    finished: list[tuple[SpotifyGrant, accounts.SpotifyTokens | _Failure | BaseException]] = []
    last_progress = time.monotonic()

    def request(grant: SpotifyGrant):
        try:
            return grant, _token_request(grant)
        except Exception as exc:  # noqa: BLE001 - one bad grant must not stop the sweep
            return grant, exc

    with futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grant-refresh") as pool:
        while batches or in_flight or finished:
            # Lease only what the threads will reach soon: a lease taken long before its request
            # could expire (REFRESH_LEASE_SECONDS) before the save.
            while batches and len(in_flight) < 2 * workers:
                for grant in _leases_take(batches.pop(0), lease=lease, skipped=lambda: record("skipped")):
                    in_flight.add(pool.submit(request, grant))
            if in_flight:
                done, in_flight = futures.wait(in_flight, timeout=0.2, return_when=futures.FIRST_COMPLETED)
                finished += [future.result() for future in done]
            if len(finished) >= SWEEP_BATCH or (finished and (not in_flight or not batches and len(in_flight) < workers)):
                _outcomes_save(finished[:SWEEP_BATCH], lease=lease, record=record)
                del finished[:SWEEP_BATCH]
            if time.monotonic() - last_progress >= progress_every:
                last_progress = time.monotonic()
                done_count = report.refreshed + report.skipped + report.failed + report.needs_reconnect
                logger.info("Refresh sweep: %d/%d done (%d refreshed, %d failed)", done_count, report.due, report.refreshed, report.failed)
    close_old_connections()
    report.seconds = time.monotonic() - started
    logger.info("Refresh sweep: %s", report.summary())
    for message, count in sorted(report.errors.items(), key=lambda kv: -kv[1])[:5]:
        logger.info("Refresh sweep: %d × %s", count, message)
