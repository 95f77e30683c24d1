"""Writes of the audit trail (mcpgateway.audit.models.AuditEvent).

`audit_record(kind=..., ...)` is the one way to record anything but a tool call: call it where the
thing happens, inside its transaction, so the row exists exactly when the thing did. For example,
an invitation (accounts):

    from mcpgateway.audit.models import AuditEvent
    from mcpgateway.audit.services import audit_record

    audit_record(kind=AuditEvent.Kind.INVITATION_CREATED, actor=request.user,
                 details={"invitation": invitation.pk, "email": invitation.email})
    audit_record(kind=AuditEvent.Kind.INVITATION_ACCEPTED, user=new_person, details={"invitation": invitation.pk})

`user` is whose activity it is (they see it on their Activity page), `actor` who did it when that is
someone else. `details` is summarised (mcpgateway.audit.summary): never put a token or password in
it anyway. Tool calls are recorded by mcpgateway.audit.tool_calls, off the request path.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent
from .summary import summarise

logger = logging.getLogger(__name__)

PURGE_BATCH_SIZE = 5000


def _username(user) -> str:
    return (user.get_username() if user is not None else "")[:150]


def audit_record(
    *,
    kind: str,
    user=None,
    actor=None,
    username: str | None = None,
    client_name: str = "",
    credential_id: str = "",
    session_id: str = "",
    outcome: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Record one event now (synchronously: one INSERT). `username` overrides the snapshot of
    `user`'s name (a failed sign-in names the account tried, which may not exist)."""
    if kind not in AuditEvent.Kind.values:
        raise ValueError(f"Unknown audit event kind {kind!r}")
    user = user if getattr(user, "pk", None) is not None else None
    actor = actor if getattr(actor, "pk", None) is not None else None
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=(username if username is not None else _username(user))[:150],
        actor=actor,
        actor_username=_username(actor),
        client_name=client_name[:255],
        credential_id=credential_id[:64],
        session_id=str(session_id or "")[:64],
        outcome=outcome,
        reason=reason[:64],
        summary=summarise(details or {}),
        ip_address=ip_address or None,
    )


def audit_events_purge(*, older_than: timedelta) -> int:
    """Delete audit rows older than `older_than`, in batches (short transactions, bounded memory);
    the number deleted."""
    cutoff = timezone.now() - older_than
    purged = 0
    old = AuditEvent.objects.filter(occurred_at__lt=cutoff).order_by()
    while batch := list(old.values_list("pk", flat=True)[:PURGE_BATCH_SIZE]):
        with transaction.atomic():
            purged += AuditEvent.objects.filter(pk__in=batch).delete()[0]
    logger.info("Purged %s audit row(s) older than %s day(s)", purged, older_than.days)
    return purged
