"""Your MCP clients (/api/clients): every live session or connection row of your credentials, and
revoking one, which ends its credential (the dashboard's Disconnect: mcpgateway.core.credentials)."""

import uuid
from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from mcpgateway.core.credentials import PAT_CREDENTIAL_PREFIX, sessions_revoke
from mcpgateway.core.selectors import credential_names, live_clients
from mcpgateway.mcp.models import McpSession

from .pagination import Completed, Pages
from .schemas import RevokedOut, responses

router = Router(tags=["clients"])


class CredentialOut(Schema):
    id: str
    type: Literal["token", "oauth", "none"]
    name: str


class ClientOut(Schema):
    id: uuid.UUID
    kind: str
    client_name: str
    client_version: str
    protocol_version: str
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime | None
    credential: CredentialOut

    @staticmethod
    def resolve_credential(row) -> CredentialOut:
        credential_id = row.credential_id
        kind = "none" if not credential_id else "token" if credential_id.startswith(PAT_CREDENTIAL_PREFIX) else "oauth"
        return CredentialOut(id=credential_id, type=kind, name=row.credential_name)


def with_credential_names(rows: list[McpSession]) -> list[McpSession]:
    names = credential_names(credential_ids={row.credential_id for row in rows if row.credential_id})
    for row in rows:
        row.credential_name = names.get(row.credential_id, row.client_name or "MCP client")
    return rows


def client_revoke(row: McpSession, *, revoked_by) -> RevokedOut:
    """End the row's credential (a row of none: the row alone), as the dashboard does."""
    closed = sessions_revoke(sessions=McpSession.objects.filter(pk=row.pk), revoked_by=revoked_by)
    name = with_credential_names([row])[0].credential_name
    return RevokedOut(detail=f"“{name}” revoked: every client using it is stopped.", clients_stopped=closed)


@router.get("", response=responses(list[ClientOut]), summary="Your connected MCP clients")
@paginate(Pages)
def clients_list(request):
    return Completed(live_clients(user=request.auth), with_credential_names)


@router.post("/{client_id}/revoke", response=responses(RevokedOut, 404), summary="Revoke the credential a client uses")
def client_revoke_own(request, client_id: uuid.UUID):
    row = get_object_or_404(McpSession, pk=client_id, user=request.auth, revoked_at__isnull=True)
    return client_revoke(row, revoked_by=request.auth)
