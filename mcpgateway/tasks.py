"""Celery tasks: thin wrappers around services; they own only scheduling and failure policy."""

from celery import shared_task

from mcpgateway.spotify.services import grants_refresh_expiring


@shared_task(ignore_result=True)
def refresh_expiring_grants() -> dict:
    """Beat: refresh every Spotify grant whose token expires soon (each grant retries on its own)."""
    report = grants_refresh_expiring()
    return {"due": report.due, "refreshed": report.refreshed, "skipped": report.skipped, "failed": report.failed, "needs_reconnect": report.needs_reconnect}


@shared_task(ignore_result=True)
def expire_unused_oauth_clients() -> int:
    """Beat: delete dynamically registered OAuth clients nobody authorized (OAUTH_DCR_UNUSED_CLIENT_HOURS)."""
    from datetime import timedelta

    from django.conf import settings

    from mcpgateway.oauth.services import oauth_clients_expire_unused

    return oauth_clients_expire_unused(older_than=timedelta(hours=settings.OAUTH_DCR_UNUSED_CLIENT_HOURS))


@shared_task(ignore_result=True)
def purge_closed_mcp_sessions() -> int:
    """Beat, daily: delete MCP session rows closed longer than MCP_SESSION_RETENTION_DAYS ago."""
    from datetime import timedelta

    from django.conf import settings

    from mcpgateway.services import sessions_purge_closed

    return sessions_purge_closed(older_than=timedelta(days=settings.MCP_SESSION_RETENTION_DAYS))
