"""The OAuth clients you approved (/api/consents), and withdrawing an approval: its tokens are
revoked and the client must ask you again (mcpgateway.core.credentials)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from mcpgateway.core.credentials import credential_revoke
from mcpgateway.oauth.models import OAuthAuthorization

from .pagination import Pages
from .schemas import RevokedOut, RowId, responses

router = Router(tags=["consents"])


class ConsentOut(Schema):
    id: int
    client_id: str = Field(alias="application.client_id")
    client_name: str = Field(alias="session.client_name")
    scopes: list[str]
    created_at: datetime
    last_seen_at: datetime | None = Field(alias="session.last_seen_at")

    @staticmethod
    def resolve_scopes(authorization) -> list[str]:
        return sorted(authorization.scope_set)


def live_consents(**filters):
    return (
        OAuthAuthorization.objects.filter(session__revoked_at__isnull=True, **filters)
        .select_related("session", "application")
        .order_by("-created_at", "-pk")
    )


@router.get("", response=responses(list[ConsentOut]), summary="The OAuth clients you approved")
@paginate(Pages)
def consents_list(request):
    return live_consents(user=request.auth)


@router.delete("/{consent_id}", response=responses(RevokedOut, 404), summary="Withdraw your approval of an OAuth client")
def consent_revoke(request, consent_id: RowId):
    authorization = get_object_or_404(live_consents(user=request.auth), pk=consent_id)
    closed = credential_revoke(credential_id=authorization.credential_id, revoked_by=request.auth)
    return RevokedOut(
        detail=f"{authorization.session.client_name} disconnected: its tokens are revoked; it must ask for your approval again.",
        clients_stopped=closed,
    )
