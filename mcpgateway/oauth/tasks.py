"""Celery tasks of the OAuth server: thin wrappers around services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from mcpgateway.oauth.services import oauth_clients_expire_unused


@shared_task(ignore_result=True)
def expire_unused_oauth_clients() -> int:
    """Beat: delete dynamically registered OAuth clients nobody authorized (OAUTH_DCR_UNUSED_CLIENT_HOURS)."""
    return oauth_clients_expire_unused(older_than=timedelta(hours=settings.OAUTH_DCR_UNUSED_CLIENT_HOURS))
