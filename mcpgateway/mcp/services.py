"""Writes of MCP session housekeeping (credentials are ended in mcpgateway.core.credentials; live
sessions are tracked by mcpgateway.mcp.session_tracking)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mcpgateway.mcp.models import McpSession

logger = logging.getLogger(__name__)

PURGE_BATCH_SIZE = 1000


def sessions_purge_closed(*, older_than: timedelta) -> int:
    """Delete the MCP session rows ended, revoked or expired longer than `older_than` ago; the number
    deleted. Housekeeping, not revocation: a closed row's deletion ends nothing
    (mcpgateway.core.signals.session_deleted). An OAuth authorization's own row stays: deleting it would
    delete the authorization, whose deletion revokes the person's tokens for that client, those of
    a later approval included."""
    cutoff = timezone.now() - older_than
    closed = McpSession.objects.filter(
        Q(ended_at__lt=cutoff) | Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff), oauth_authorization__isnull=True
    )
    purged = 0
    # In batches: a delete loads its rows to send their signals.
    while batch := list(closed.values_list("pk", flat=True)[:PURGE_BATCH_SIZE]):
        with transaction.atomic():
            purged += McpSession.objects.filter(pk__in=batch).delete()[1].get(McpSession._meta.label, 0)
    logger.info("Purged %s MCP session row(s) closed more than %s day(s) ago", purged, older_than.days)
    return purged
