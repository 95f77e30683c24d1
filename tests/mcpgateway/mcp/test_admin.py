"""Admins see MCP sessions and revoke them."""

import pytest
from django.utils import timezone

from mcpgateway.mcp.models import McpSession

pytestmark = pytest.mark.django_db


def test_revoke_sessions_action_records_who_and_when(admin_client, person):
    live = McpSession.objects.create(user=person, client_name="Claude", protocol_version="2025-11-25")
    other = McpSession.objects.create(user=person, client_name="Cursor", protocol_version="2026-07-28")
    response = admin_client.post("/admin/mcpgateway/mcpsession/", {"action": "revoke", "_selected_action": [str(live.pk)]}, follow=True)
    assert "Revoked 1 session(s)" in response.content.decode()
    live.refresh_from_db()
    other.refresh_from_db()
    assert live.revoked_at and live.revoked_at <= timezone.now() and live.revoked_by == admin_client.admin
    assert not live.is_active and other.is_active
    page = admin_client.get("/admin/mcpgateway/mcpsession/", {"state": "revoked"}).content.decode()
    assert 'field-client_name">Claude<' in page and 'field-client_name">Cursor<' not in page
