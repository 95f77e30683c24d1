"""Celery tasks of the Spotify connection: thin wrappers around services."""

from celery import shared_task

from mcpgateway.spotify.services import grants_refresh_expiring


@shared_task(ignore_result=True)
def refresh_expiring_grants() -> dict:
    """Beat: end grants past Spotify's six months, refresh every Spotify grant whose token expires
    soon (each grant retries on its own), and mail people whose grant died or ends soon."""
    report = grants_refresh_expiring()
    return {
        "due": report.due, "refreshed": report.refreshed, "skipped": report.skipped, "failed": report.failed,
        "needs_reconnect": report.needs_reconnect, "ended": report.ended, "notices_sent": report.notices_sent,
    }
