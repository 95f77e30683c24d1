"""The team pages of the dashboard, for team admins (accounts.roles): the people (Spotify status,
connected clients, last seen, recent tool calls; live over the dashboard's WebSocket, team view), and
invitations to list, create (the link is shown once) and revoke. Thin views over the services and
selectors; revoking a person's client is the admin's action on their MCP sessions."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Invitation
from accounts.roles import team_admin_required
from accounts.selectors import invitations_for_team
from accounts.services import invitation_create, invitation_revoke
from mcpgateway.audit.selectors import recent_tool_calls

from .selectors import team_people

TEAM_RECENT_TOOL_CALLS = 20

INVITATION_EXPIRY_CHOICES = (("1", "1 day"), ("7", "7 days"), ("30", "30 days"))


@require_GET
@team_admin_required
def team(request):
    return render(request, "team.html", {
        "people": team_people(),
        "tool_calls": recent_tool_calls(limit=TEAM_RECENT_TOOL_CALLS),
    })


@require_GET
@team_admin_required
def team_invitations(request):
    return _render_team_invitations(request)


def _render_team_invitations(request, *, invitation_form=None, status=200):
    """The team page; `invitation_form` is the invitation form's input to show again after an error."""
    return render(request, "team_invitations.html", {
        "invitations": invitations_for_team(),
        "roles": Invitation.Role.choices,
        "expiry_choices": INVITATION_EXPIRY_CHOICES,
        "invitation_form": invitation_form or {"note": "", "role": Invitation.Role.MEMBER, "allowed_email_domains": "", "expires_in_days": "7"},
    }, status=status)


@require_POST
@team_admin_required
def team_invitation_create(request):
    expiry = request.POST.get("expires_in_days", "7")
    try:
        if expiry not in dict(INVITATION_EXPIRY_CHOICES):
            raise ValueError("Choose one of the offered expiry periods.")
        invitation, token = invitation_create(
            created_by=request.user,
            role=request.POST.get("role", ""),
            allowed_email_domains=request.POST.get("allowed_email_domains", ""),
            note=request.POST.get("note", ""),
            expires_in_days=int(expiry),
        )
    except ValueError as exc:
        messages.error(request, f"The invitation was not created: {exc}")
        invitation_form = {field: request.POST.get(field, "") for field in ("note", "role", "allowed_email_domains")}
        return _render_team_invitations(request, invitation_form={**invitation_form, "expires_in_days": expiry}, status=400)
    # Rendered from the POST, never stored: the only time the link exists outside the invitee's hands.
    link = settings.PUBLIC_BASE_URL + reverse("invitation_accept", args=[token])
    response = render(request, "team_invitation_created.html", {"invitation": invitation, "link": link})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@team_admin_required
def team_invitation_revoke(request, invitation_id: int):
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    if invitation_revoke(invitation=invitation, revoked_by=request.user):
        messages.success(request, "Invitation revoked: its link no longer works.")
    else:
        messages.error(request, "That invitation was used or revoked already.")
    return redirect("team_invitations")
