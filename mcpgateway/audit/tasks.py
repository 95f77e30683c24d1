"""Celery tasks of the audit trail: thin wrappers around services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from mcpgateway.audit.services import audit_events_purge


@shared_task(ignore_result=True)
def purge_old_audit_events() -> int:
    """Beat, daily: delete audit rows older than AUDIT_RETENTION_DAYS."""
    return audit_events_purge(older_than=timedelta(days=settings.AUDIT_RETENTION_DAYS))
