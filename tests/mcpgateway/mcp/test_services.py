"""Housekeeping: session rows closed longer than MCP_SESSION_RETENTION_DAYS ago are purged by a
daily beat task, and purging revokes nothing."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model

from accounts.models import PersonalAccessToken
from mcpgateway.mcp.models import McpSession
from mcpgateway.mcp.tasks import purge_closed_mcp_sessions
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.oauth.services import oauth_authorization_record
from tests.conftest import make_personal_access_token
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, make_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_daily_task_purges_old_closed_rows_and_keeps_live_and_recent_ones(person, caplog):
    make_personal_access_token(person)
    credential_id = PersonalAccessToken.objects.get(user=person).credential_id
    now = timezone.now()
    long_ago = now - timedelta(days=settings.MCP_SESSION_RETENTION_DAYS + 1)
    recently = now - timedelta(days=settings.MCP_SESSION_RETENTION_DAYS - 1)

    def row(name: str, **fields) -> McpSession:
        return McpSession.objects.create(user=person, credential_id=credential_id, client_name=name, **fields)

    old_ended = row("old ended", ended_at=long_ago)
    old_revoked = row("old revoked", revoked_at=long_ago)
    old_expired = row("old expired", expires_at=long_ago)
    kept = [
        row("recently ended", ended_at=recently),
        row("recently expired", expires_at=recently),
        row("live and idle for long", last_seen_at=long_ago, expires_at=now + timedelta(days=1)),
        row("live connection", kind=McpSession.Kind.CONNECTION, last_seen_at=long_ago),
    ]
    McpSession.objects.filter(pk__in=[r.pk for r in kept]).update(created_at=long_ago)

    with caplog.at_level(logging.INFO, logger="mcpgateway.mcp.services"):
        purged = purge_closed_mcp_sessions.apply().get()

    assert purged == 3
    assert not McpSession.objects.filter(pk__in=[old_ended.pk, old_revoked.pk, old_expired.pk]).exists()
    assert set(McpSession.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    # Housekeeping, not revocation: the token and its live clients go on.
    assert PersonalAccessToken.objects.get(user=person).revoked_at is None
    assert not McpSession.objects.filter(revoked_at__isnull=False).exists()
    assert "Purged 3 MCP session row(s)" in caplog.text


def test_an_old_revoked_oauth_authorization_is_kept_so_purging_never_revokes_a_later_approval(person):
    application = make_client()
    revoked = oauth_authorization_record(user=person, application=application, scopes={"spotify:read"}, redirect_uri=REDIRECT_URI)
    McpSession.objects.filter(pk=revoked.session_id).update(revoked_at=timezone.now() - timedelta(days=365))
    approved_again = oauth_authorization_record(user=person, application=application, scopes={"spotify:read"}, redirect_uri=REDIRECT_URI)
    refresh = get_refresh_token_model().objects.create(user=person, application=application, token="a-refresh-token")

    assert purge_closed_mcp_sessions.apply().get() == 0

    assert set(OAuthAuthorization.objects.values_list("pk", flat=True)) == {revoked.pk, approved_again.pk}
    refresh.refresh_from_db()
    assert refresh.revoked is None


def test_beat_runs_the_purge_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-closed-mcp-sessions"]
    assert entry == {"task": purge_closed_mcp_sessions.name, "schedule": 24 * 3600.0}
