"""Writes of MCP sessions (the /mcp endpoint creates and checks them)."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import McpSession
from .oauth.services import oauth_authorizations_revoke_tokens
from .revocation import bump_revocation_epoch


def sessions_revoke(*, sessions: QuerySet[McpSession], revoked_by) -> int:
    """Revoke sessions. Every worker sees it at the client's next request: /mcp caches sessions
    only together with the revocation epoch, which this moves."""
    with transaction.atomic():
        revoking = list(sessions.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        count = McpSession.objects.filter(pk__in=revoking).update(revoked_at=timezone.now(), revoked_by=revoked_by)
        # A session that is an OAuth authorization: its tokens go too (refresh included).
        oauth_authorizations_revoke_tokens(sessions=revoking)
        if count:
            transaction.on_commit(bump_revocation_epoch)
    return count
