"""The team page (/team/invitations) for team admins: list, create (link shown once, with a copy
field), revoke. Members get 403 on every team page, whatever ids they try."""

import re
from html import unescape

import pytest

from accounts.models import Invitation
from accounts.services import invitation_create, token_digest
from tests.conftest import public_client

pytestmark = pytest.mark.django_db


def test_a_team_admin_creates_an_invitation_and_sees_the_link_once(admin_client):
    page = admin_client.get("/team/invitations")
    assert page.status_code == 200 and "No invitations yet" in page.content.decode()

    created = admin_client.post("/team/invitations/create", {"note": "Sam", "role": "member", "allowed_email_domains": "@Example.com, example.org", "expires_in_days": "7"})

    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    body = created.content.decode()
    link = unescape(re.search(r'data-testid="invitation-link" value="([^"]+)"', body).group(1))
    assert 'id="copy-invitation-link"' in body
    token = link.rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_digest == token_digest(token)
    assert invitation.allowed_email_domains == "example.com example.org" and invitation.note == "Sam"
    listing = admin_client.get("/team/invitations").content.decode()
    assert token not in listing and "Sam" in listing and "open until" in listing
    assert public_client().get(link.split("8000", 1)[1]).status_code == 200


@pytest.mark.parametrize("fields, message", [
    ({"role": "owner"}, "Choose the role to give"),
    ({"expires_in_days": "365"}, "Choose one of the offered expiry periods"),
    ({"allowed_email_domains": "<script>"}, "is not an email domain"),
    ({"note": "x" * 201}, "at most 200 characters"),
    ({"note": "a\x00b"}, "without control characters"),
])
def test_bad_input_creates_nothing_and_says_why(admin_client, fields, message):
    response = admin_client.post("/team/invitations/create", {"role": "member", "expires_in_days": "7", **fields}, follow=True)
    assert response.status_code == 400  # the team page again, the form holding what was typed
    assert message in unescape(response.content.decode())
    assert not Invitation.objects.exists()


def test_revoking_twice_says_so(admin_client):
    invitation, _ = invitation_create(created_by=admin_client.admin, role="member")
    assert "Invitation revoked" in admin_client.post(f"/team/invitations/{invitation.pk}/revoke", follow=True).content.decode()
    assert "used or revoked already" in admin_client.post(f"/team/invitations/{invitation.pk}/revoke", follow=True).content.decode()
    assert admin_client.post("/team/invitations/999999/revoke").status_code == 404


def test_a_member_cannot_reach_the_team_pages(admin_client, person):
    invitation, _ = invitation_create(created_by=admin_client.admin, role="member")
    member = public_client()
    member.force_login(person)
    assert member.get("/team/invitations").status_code == 403
    assert member.post("/team/invitations/create", {"role": "admin", "expires_in_days": "7"}).status_code == 403
    assert member.post(f"/team/invitations/{invitation.pk}/revoke").status_code == 403
    assert Invitation.objects.count() == 1 and Invitation.objects.get().revoked_at is None
    assert "/team/invitations" not in member.get("/").content.decode()
    # Signed out: the sign-in page first.
    response = public_client().get("/team/invitations")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_member_cannot_reach_another_persons_tokens_or_sessions(admin_client, person, django_user_model):
    from accounts.services import personal_access_token_create

    other = django_user_model.objects.create_user(username="other", password="another long password")
    token, _ = personal_access_token_create(user=other, name="theirs", scopes={"spotify:read"}, expires_in_days=None)
    member = public_client()
    member.force_login(person)
    assert member.get(f"/tokens/{token.pk}/revoke").status_code == 404
    assert member.post(f"/tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert member.get("/admin/accounts/personalaccesstoken/").status_code == 302  # to the admin's sign-in
