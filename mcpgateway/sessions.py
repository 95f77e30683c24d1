"""Writes of MCP sessions (the /mcp endpoint creates and checks them)."""

from django.db.models import QuerySet
from django.utils import timezone

from .models import McpSession


def sessions_revoke(*, sessions: QuerySet[McpSession], revoked_by) -> int:
    """Revoke sessions at once: /mcp reads `revoked_at` on every request, so it bites at the next one."""
    return sessions.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=revoked_by)
