"""Writes of MCP sessions (the /mcp endpoint creates and checks them)."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import McpSession
from .revocation import bump_revocation_epoch


def sessions_revoke(*, sessions: QuerySet[McpSession], revoked_by) -> int:
    """Revoke sessions. Every worker sees it at the client's next request: /mcp caches sessions
    only together with the revocation epoch, which this moves."""
    with transaction.atomic():
        count = sessions.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=revoked_by)
        if count:
            transaction.on_commit(bump_revocation_epoch)
    return count
