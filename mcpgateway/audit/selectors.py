"""Reads of the audit trail."""

from __future__ import annotations

from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from .models import AuditEvent

ACTIVITY_PAGE_SIZE = 50


def activity_page(*, user, page_number) -> Page:
    """One page of a person's own audit rows, newest first (a bad page number gives the nearest page)."""
    events = AuditEvent.objects.filter(user=user).order_by("-occurred_at", "-id").only(
        "occurred_at", "kind", "client_name", "tool", "outcome", "reason", "duration_ms", "summary", "ip_address", "actor_username"
    )
    return Paginator(events, ACTIVITY_PAGE_SIZE).get_page(page_number)


def events_of(*, user, kind: str | None = None, outcome: str | None = None) -> QuerySet[AuditEvent]:
    """A person's own audit rows (those about them: `user`), newest first, optionally of one kind / outcome."""
    return _filtered(AuditEvent.objects.filter(user=user), kind=kind, outcome=outcome)


def events_for_admin(*, person_id: int | None = None, kind: str | None = None, outcome: str | None = None,
                     since: datetime | None = None, until: datetime | None = None) -> QuerySet[AuditEvent]:
    """Everyone's audit rows for team admins, newest first. `person_id`: the rows about that person or
    done by them (user or actor: an admin's revocations and invitations); `since` inclusive, `until` exclusive."""
    events = AuditEvent.objects.all()
    if person_id is not None:
        events = events.filter(Q(user_id=person_id) | Q(actor_id=person_id))
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return _filtered(events, kind=kind, outcome=outcome)


def _filtered(events: QuerySet[AuditEvent], *, kind: str | None, outcome: str | None) -> QuerySet[AuditEvent]:
    if kind is not None:
        events = events.filter(kind=kind)
    if outcome is not None:
        events = events.filter(outcome=outcome)
    return events.order_by("-occurred_at", "-id")


RECENT_TOOL_CALLS = 10


def recent_tool_calls(*, user=None, limit: int = RECENT_TOOL_CALLS) -> list[AuditEvent]:
    """The latest tool calls, newest first: a person's (`user`), or everyone's (None, for team admins;
    each row's `user` loaded). One query, on the (user, time) or (kind, time) index."""
    calls = AuditEvent.objects.filter(kind=AuditEvent.Kind.TOOL_CALL)
    if user is not None:
        calls = calls.filter(user=user)
    else:
        calls = calls.select_related("user")
    return list(calls.order_by("-occurred_at", "-id").only(
        "occurred_at", "kind", "user", "username", "client_name", "tool", "outcome", "reason", "duration_ms"
    )[:limit])
