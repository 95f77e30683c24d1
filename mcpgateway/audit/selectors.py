"""Reads of the audit trail."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from .models import AuditEvent

ACTIVITY_PAGE_SIZE = 50


def activity_page(*, user, page_number) -> Page:
    """One page of a person's own audit rows, newest first (a bad page number gives the nearest page)."""
    events = AuditEvent.objects.filter(user=user).order_by("-occurred_at", "-id").only(
        "occurred_at", "kind", "client_name", "tool", "outcome", "reason", "duration_ms", "summary", "ip_address", "actor_username"
    )
    return Paginator(events, ACTIVITY_PAGE_SIZE).get_page(page_number)
