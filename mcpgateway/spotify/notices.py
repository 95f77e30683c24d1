"""Mails telling a person their Spotify connection ends soon or stopped working, with the link to
reconnect it: one mail per event, sent by the beat's sweep (services.grants_refresh_expiring).

Events: an active grant entering the last SPOTIFY_GRANT_EXPIRY_WARNING_DAYS of Spotify's six
months (`expiry_notice_sent_at`), and a grant needing a reconnect, whoever found out: the sweep,
a tool call's refresh, an admin's "refresh now" (`reconnect_notice_sent_at`). Each is claimed by
one conditional UPDATE (two sweeps never mail twice) and the mail goes out after that commits. A
mail that fails is logged and its claim released, so a later sweep tries again; it never fails
the sweep; an address the mail server refuses is not tried again (the banner still shows). A new
connection clears both (services.connect_complete).
"""

from __future__ import annotations

import logging
import smtplib
import time
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mcpgateway.core.public_urls import public_url

from .models import SpotifyGrant
from .selectors import grants_ending_soon

logger = logging.getLogger(__name__)

# At most this many mails per sweep, and no new one after this many seconds, so a mail server
# that hangs (EMAIL_TIMEOUT_SECONDS each) holds the beat back little; the rest go at later sweeps.
NOTICES_PER_SWEEP = 50
NOTICES_BUDGET_SECONDS = 20.0

ENDING, ENDED = "expiry_notice_sent_at", "reconnect_notice_sent_at"
TEMPLATES = {ENDING: "spotify/grant_ending_email.txt", ENDED: "spotify/grant_reconnect_email.txt"}
EVENT_NAMES = {ENDING: "ends soon", ENDED: "stopped working"}


def _mailable(grants):
    return grants.filter(user__is_active=True).exclude(Q(user__email="") | Q(user__email__isnull=True))


def grant_notices_send(*, limit: int = NOTICES_PER_SWEEP) -> int:
    """Mail every person whose grant stopped working or ends soon and who was not told yet; the
    number of mails handed to the mail server. Never raises."""
    try:
        pending = [
            (ENDED, pk)
            for pk in _mailable(SpotifyGrant.objects.filter(status=SpotifyGrant.Status.NEEDS_RECONNECT, reconnect_notice_sent_at__isnull=True))
            .order_by("pk").values_list("pk", flat=True)[:limit]
        ]
        pending += [
            (ENDING, pk)
            for pk in _mailable(grants_ending_soon().filter(expiry_notice_sent_at__isnull=True))
            .order_by("pk").values_list("pk", flat=True)[: max(limit - len(pending), 0)]
        ]
    except Exception:
        logger.exception("Spotify notices: could not list the grants to notify")
        return 0
    sent = 0
    deadline = time.monotonic() + NOTICES_BUDGET_SECONDS
    for done, (event, grant_id) in enumerate(pending, start=1):
        try:
            sent += _notify(event, grant_id)
        except Exception:
            logger.exception("Spotify notice (%s) for grant %s failed unexpectedly", EVENT_NAMES[event], grant_id)
        if done < len(pending) and time.monotonic() > deadline:
            logger.info("Spotify notices: out of time; %d go out at the next sweep", len(pending) - done)
            break
    if pending:
        logger.info("Spotify notices: %d of %d mailed", sent, len(pending))
    return sent


def _notify(event: str, grant_id: int) -> int:
    now = timezone.now()
    status = SpotifyGrant.Status.NEEDS_RECONNECT if event == ENDED else SpotifyGrant.Status.ACTIVE
    outcome: list[bool] = []
    with transaction.atomic():
        claimed = SpotifyGrant.objects.filter(pk=grant_id, status=status, **{f"{event}__isnull": True}).update(**{event: now})
        if claimed:
            grant = SpotifyGrant.objects.select_related("user").get(pk=grant_id)
            transaction.on_commit(lambda: outcome.append(_send(event, grant, claimed_at=now)))
    return int(bool(outcome and outcome[0]))


def _send(event: str, grant: SpotifyGrant, *, claimed_at) -> bool:
    user = grant.user
    context = {
        "name": user.get_full_name() or user.get_username(),
        "grant": grant,
        "ends_at": grant.connection_ends_at,
        "dashboard_url": public_url(reverse("dashboard")),
    }
    subject, _, body = render_to_string(TEMPLATES[event], context).strip().partition("\n")
    try:
        send_mail(subject.strip(), body.strip() + "\n", None, [user.email])
    except smtplib.SMTPRecipientsRefused:  # this address will not work next time either
        logger.warning("Spotify notice (%s) to user %s: the mail server refused the address; not retried", EVENT_NAMES[event], user.pk)
        return False
    except Exception as exc:  # the mail server's problem: try again at a later sweep
        logger.warning("Spotify notice (%s) to user %s could not be mailed (%s); will retry", EVENT_NAMES[event], user.pk, type(exc).__name__)
        SpotifyGrant.objects.filter(pk=grant.pk, **{event: claimed_at}).update(**{event: None})
        return False
    logger.info("Spotify notice (%s) mailed to user %s", EVENT_NAMES[event], user.pk)
    return True
