"""Reads for the dashboard's team page: each active person with their Spotify status, connected
clients, when a client of theirs was last seen, and their latest tool call."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from mcpgateway.audit.models import AuditEvent


def team_people() -> list:
    """Active people by username, each with `connected_clients` (live MCP sessions and connections:
    not revoked, ended or expired), `last_seen_at` (any of their clients'), `last_tool`,
    `last_tool_outcome` and `last_tool_at` (their latest tool call), and their grant (`spotify_grant`,
    or none). One query."""
    now = timezone.now()
    live = Q(mcp_sessions__revoked_at__isnull=True, mcp_sessions__ended_at__isnull=True) & (
        Q(mcp_sessions__expires_at__isnull=True) | Q(mcp_sessions__expires_at__gt=now)
    )
    latest_call = AuditEvent.objects.filter(kind=AuditEvent.Kind.TOOL_CALL, user=OuterRef("pk")).order_by("-occurred_at", "-id")
    people = (
        get_user_model().objects.filter(is_active=True)
        .select_related("spotify_grant")
        .annotate(
            connected_clients=Count("mcp_sessions", filter=live),
            last_seen_at=Max("mcp_sessions__last_seen_at"),
            last_tool=Subquery(latest_call.values("tool")[:1]),
            last_tool_outcome=Subquery(latest_call.values("outcome")[:1]),
            last_tool_at=Subquery(latest_call.values("occurred_at")[:1]),
        )
        .order_by("username")
    )
    return list(people)
