"""Team admins: invitations (/api/admin/invitations): list, create (the link is in that answer only)
and revoke, through accounts.services like the team page (so each is audited the same way)."""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from accounts.models import Invitation
from accounts.selectors import invitations_with_status
from accounts.services import INVITATION_MAX_DAYS, invitation_create, invitation_revoke

from .auth import ADMIN_AUTH
from .pagination import Pages
from .schemas import PersonRef, RowId, responses

router = Router(tags=["admin: invitations"], auth=ADMIN_AUTH)

InvitationStatus = Literal["open", "used", "revoked", "expired"]


class InvitationOut(Schema):
    id: int
    role: Invitation.Role
    status: InvitationStatus
    note: str
    allowed_email_domains: list[str] = Field(description="The invitee's address must be at one of these; empty: any.")
    created_by: PersonRef | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: PersonRef | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_allowed_email_domains(invitation) -> list[str]:
        return invitation.domain_list


class InvitationCreatedOut(InvitationOut):
    link: str = Field(description="The invitation link to send the invitee: in this answer only, never again.")


class InvitationIn(Schema):
    role: Invitation.Role = Field(description="The role the invitee's account gets.")
    expires_in_days: int = Field(7, ge=1, le=INVITATION_MAX_DAYS, description=f"1 to {INVITATION_MAX_DAYS} days.")
    allowed_email_domains: list[str] = Field([], max_length=50, description="Email domains (like example.com); empty: any address.")
    note: str = Field("", max_length=200, description="Who it is for, so you recognise it later.")


class InvitationsFilter(Schema):
    status: InvitationStatus | None = Field(None, description="Only invitations in this state.")


@router.get("/invitations", response=responses(list[InvitationOut]), summary="Invitations")
@paginate(Pages)
def invitations_list(request, filters: Query[InvitationsFilter]):
    return invitations_with_status(status=filters.status)


@router.post("/invitations", response=responses(InvitationCreatedOut, 400, status=201), summary="Invite someone")
def invitation_create_now(request, payload: InvitationIn, response: HttpResponse):
    try:
        invitation, token = invitation_create(
            created_by=request.auth, role=payload.role, allowed_email_domains=" ".join(payload.allowed_email_domains),
            note=payload.note, expires_in_days=payload.expires_in_days,
        )
    except ValueError as exc:
        raise HttpError(400, f"The invitation was not created: {exc}") from None
    invitation.link = settings.PUBLIC_BASE_URL + reverse("invitation_accept", args=[token])
    response["Cache-Control"] = "no-store"  # the only time the link exists outside the invitee's hands
    return Status(201, invitation)


@router.post("/invitations/{invitation_id}/revoke", response=responses(InvitationOut, 404, 409), summary="Revoke an invitation")
def invitation_revoke_now(request, invitation_id: RowId):
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    if not invitation_revoke(invitation=invitation, revoked_by=request.auth):
        raise HttpError(409, f"This invitation is {invitation.status} already: only an unused one can be revoked.")
    return get_object_or_404(invitations_with_status(), pk=invitation_id)
