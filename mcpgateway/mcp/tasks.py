"""Celery tasks of the MCP endpoint: thin wrappers around services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from mcpgateway.mcp.services import sessions_purge_closed


@shared_task(ignore_result=True)
def purge_closed_mcp_sessions() -> int:
    """Beat, daily: delete MCP session rows closed longer than MCP_SESSION_RETENTION_DAYS ago."""
    return sessions_purge_closed(older_than=timedelta(days=settings.MCP_SESSION_RETENTION_DAYS))
