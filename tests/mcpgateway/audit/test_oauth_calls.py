"""An OAuth client: the person's consent on the real page is audited, and so is a call the bridge
refuses with its 403 scope challenge (the MCP server never sees that one)."""

import httpx
import pytest
from oauth2_provider.models import get_application_model

from mcpgateway.audit.models import AuditEvent
from mcpgateway.mcp.models import McpSession
from tests.mcpgateway.mcp.conftest import rpc
from tests.mcpgateway.oauth.conftest import make_client
from tests.mcpgateway.oauth.test_scopes import read_only_token, session

from .conftest import wait_for_events

pytestmark = [pytest.mark.django_db(transaction=True)]
Application = get_application_model()


def test_consent_and_a_scope_challenge_refusal_are_recorded(start_gateway, person):
    gateway = start_gateway()
    oauth_client = make_client(name="Claude Desktop")
    token = read_only_token(person, oauth_client, gateway)
    consent = AuditEvent.objects.get(kind=AuditEvent.Kind.CONSENT, user=person)
    assert consent.client_name == "Claude Desktop" and consent.summary["scopes"] == ["spotify:read"]

    headers = session(gateway, token)
    refused = httpx.post(f"{gateway}/mcp", json=rpc("tools/call", {"name": "pause_playback", "arguments": {}}, id=7), headers=headers)
    assert refused.status_code == 403
    allowed = httpx.post(f"{gateway}/mcp", json=rpc("tools/call", {"name": "get_gateway_identity", "arguments": {}}), headers=headers)
    assert allowed.status_code == 200

    rows = wait_for_events(2, kind=AuditEvent.Kind.TOOL_CALL, user=person)
    assert [(r.tool, r.outcome, r.reason) for r in rows] == [
        ("pause_playback", "refused", "insufficient_scope"), ("get_gateway_identity", "ok", "")]
    live = McpSession.objects.get(pk=headers["Mcp-Session-Id"])
    assert {(r.credential_id, r.session_id, r.client_name) for r in rows} == {(consent.credential_id, str(live.pk), live.client_name)}
    assert all(token not in str(r.summary) for r in rows)
