"""Team admins: everyone's live MCP clients (/api/admin/clients), and revoking any of them (its
credential ends, as with the person's own Disconnect)."""

import uuid

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from mcpgateway.core.selectors import live_clients
from mcpgateway.mcp.models import McpSession

from .auth import ADMIN_AUTH
from .clients import ClientOut, client_revoke, with_credential_names
from .pagination import Completed, Pages
from .schemas import PersonRef, RevokedOut, responses

router = Router(tags=["admin: clients"], auth=ADMIN_AUTH)


class AdminClientOut(ClientOut):
    person: PersonRef = Field(alias="user")
    user_agent: str
    ip_address: str | None


class ClientsFilter(Schema):
    person: int | None = Field(None, ge=1, le=2**63 - 1, description="Only this person's clients.")


@router.get("/clients", response=responses(list[AdminClientOut]), summary="Everyone's connected MCP clients")
@paginate(Pages)
def clients_list(request, filters: Query[ClientsFilter]):
    filtering = {"user_id": filters.person} if filters.person is not None else {}
    return Completed(live_clients(**filtering).select_related("user"), with_credential_names)


@router.post("/clients/{client_id}/revoke", response=responses(RevokedOut, 404), summary="Revoke the credential a client uses")
def client_revoke_any(request, client_id: uuid.UUID):
    row = get_object_or_404(McpSession, pk=client_id, revoked_at__isnull=True)
    return client_revoke(row, revoked_by=request.auth)
