"""Invitations leave audit rows as people make them, over HTTP: created (the team page, the admin's
add page), accepted (the invitee's own activity) and revoked (the team page, the admin's action),
each naming who did it, and none holding the link's token or its digest."""

import json

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Invitation
from accounts.services import token_digest
from mcpgateway.audit.models import AuditEvent
from tests.conftest import public_client

from .test_invitations import link_on, path_of, sign_up

pytestmark = pytest.mark.django_db


def row_text(event: AuditEvent) -> str:
    """Everything the audit row holds, as text."""
    return json.dumps(AuditEvent.objects.filter(pk=event.pk).values().get(), default=str)


def assert_no_secret(event: AuditEvent, token: str) -> None:
    text = row_text(event)
    assert token not in text and token_digest(token) not in text
    assert token.removeprefix("smgi_") not in text


def created_on_the_team_page(client, **fields) -> tuple[Invitation, str]:
    page = client.post("/team/invitations/create", {"role": "member", "allowed_email_domains": "example.com", "note": "for Sam",
                                                    "expires_in_days": "7", **fields})
    assert page.status_code == 200, page.content
    token = link_on(page).rsplit("/", 1)[1]
    return Invitation.objects.get(token_digest=token_digest(token)), token


def test_creating_on_the_team_page_then_accepting_is_audited_without_the_token(admin_client):
    invitation, token = created_on_the_team_page(admin_client)

    created = AuditEvent.objects.get(kind=AuditEvent.Kind.INVITATION_CREATED)
    assert (created.actor, created.actor_username, created.user, created.outcome) == (admin_client.admin, "root", None, "ok")
    assert created.summary["invitation"] == invitation.pk and created.summary["role"] == "member"
    assert created.summary["allowed_email_domains"] == "example.com" and created.summary["note"] == "for Sam"
    assert_no_secret(created, token)

    assert sign_up(public_client(), f"/accounts/invitation/{token}").status_code == 302
    sam = get_user_model().objects.get(username="sam")
    accepted = AuditEvent.objects.get(kind=AuditEvent.Kind.INVITATION_ACCEPTED)
    assert (accepted.user, accepted.username, accepted.actor) == (sam, "sam", None)
    assert accepted.summary["invitation"] == invitation.pk and accepted.summary["invited_by"] == admin_client.admin.pk
    assert_no_secret(accepted, token)
    # The invitee sees it on their own Activity page.
    client = public_client()
    client.force_login(sam)
    assert "Invitation accepted" in client.get("/activity").content.decode()


def test_creating_on_the_admins_add_page_is_audited_without_the_token(admin_client):
    page = admin_client.post("/admin/accounts/invitation/add/", {"note": "Sam", "role": "admin", "allowed_email_domains": "", "expires_in_days": "3"})
    assert page.status_code == 200
    token = path_of(link_on(page)).rsplit("/", 1)[1]
    created = AuditEvent.objects.get(kind=AuditEvent.Kind.INVITATION_CREATED)
    assert created.actor == admin_client.admin
    assert (created.summary["role"], created.summary["expires_in_days"]) == ("admin", 3)
    assert_no_secret(created, token)


def test_revoking_on_the_team_page_and_with_the_admins_action_is_audited_once(admin_client, django_user_model):
    first, first_token = created_on_the_team_page(admin_client)
    second, second_token = created_on_the_team_page(admin_client, note="for Kim")
    other_admin = django_user_model.objects.create_user(username="ada", password="x", is_staff=True)
    other = public_client()
    other.force_login(other_admin)

    assert other.post(f"/team/invitations/{first.pk}/revoke").status_code == 302
    assert other.post(f"/team/invitations/{first.pk}/revoke").status_code == 302  # already revoked: no second row
    assert admin_client.post("/admin/accounts/invitation/", {"action": "revoke", "_selected_action": [str(first.pk), str(second.pk)]}).status_code == 302

    revoked = {event.summary["invitation"]: event for event in AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_REVOKED)}
    assert set(revoked) == {first.pk, second.pk}
    assert (revoked[first.pk].actor, revoked[first.pk].actor_username) == (other_admin, "ada")
    assert (revoked[second.pk].actor, revoked[second.pk].actor_username) == (admin_client.admin, "root")
    for event in revoked.values():
        assert_no_secret(event, first_token)
        assert_no_secret(event, second_token)


def test_a_refused_invitation_or_acceptance_records_nothing(admin_client):
    response = admin_client.post("/team/invitations/create", {"role": "owner", "expires_in_days": "7"})
    assert response.status_code == 400 and not Invitation.objects.exists()
    invitation, token = created_on_the_team_page(admin_client)
    assert sign_up(public_client(), f"/accounts/invitation/{token}", email="sam@elsewhere.org").status_code == 400
    invitation_rows = AuditEvent.objects.filter(kind__startswith="invitation_")
    assert list(invitation_rows.values_list("kind", flat=True)) == [AuditEvent.Kind.INVITATION_CREATED]
