"""Team admins' invitations through the API: list (by status), create (the link in that answer only,
never stored), revoke (409 once used or revoked); audited like the team page's. The link works for
the invitee. Members are refused; bad input is a 4xx that creates nothing."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Invitation
from accounts.services import invitation_create, token_digest
from mcpgateway.audit.models import AuditEvent
from tests.accounts.test_invitations import path_of, sign_up
from tests.conftest import public_client

from .conftest import Api, api_token

pytestmark = pytest.mark.django_db

GOOD = {"role": "member", "expires_in_days": 7, "allowed_email_domains": ["example.com"], "note": "for Sam"}


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_an_admin_creates_an_invitation_whose_link_is_shown_once_and_works(admin_api):
    response = admin_api.post("/admin/invitations", GOOD)

    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["link"].startswith("http://127.0.0.1:8000/accounts/invitation/smgi_")
    assert (body["role"], body["status"], body["note"], body["allowed_email_domains"]) == ("member", "open", "for Sam", ["example.com"])
    assert body["created_by"] == {"id": admin_api.person.pk, "username": "ada"} and body["used_by"] is None
    token = token_of(body["link"])
    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.token_digest == token_digest(token) and token not in json.dumps(Invitation.objects.values().get(), default=str)
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    # Never again: the list has no link.
    listed = admin_api.get("/admin/invitations")
    assert token not in listed.content.decode() and "link" not in listed.json()["items"][0]
    # Audited with the admin as the actor, without the token.
    created = AuditEvent.objects.get(kind=AuditEvent.Kind.INVITATION_CREATED)
    assert created.actor == admin_api.person and created.summary["invitation"] == invitation.pk
    row = json.dumps(AuditEvent.objects.filter(pk=created.pk).values().get(), default=str)
    assert token not in row and token_digest(token) not in row

    assert sign_up(public_client(), path_of(body["link"])).status_code == 302
    used = admin_api.get("/admin/invitations", query={"status": "used"}).json()["items"]
    assert [(i["id"], i["used_by"]["username"]) for i in used] == [(invitation.pk, "sam")]


def test_a_signed_in_admin_creates_an_admin_invitation_with_the_csrf_token(team_admin):
    browser = Api(public_client(enforce_csrf_checks=True))
    browser.client.force_login(team_admin)
    refused = browser.post("/admin/invitations", {"role": "admin"})
    assert refused.status_code == 403 and not Invitation.objects.exists()
    assert browser.get("/me").status_code == 200
    created = browser.post("/admin/invitations", {"role": "admin"}, headers={"X-CSRFToken": browser.client.cookies["csrftoken"].value})
    assert created.status_code == 201, created.content
    assert (created.json()["role"], created.json()["allowed_email_domains"]) == ("admin", [])
    assert sign_up(public_client(), path_of(created.json()["link"]), email="sam@anywhere.org").status_code == 302
    assert get_user_model().objects.get(username="sam").is_staff


def test_invitations_are_listed_by_status(admin_api):
    admin = admin_api.person
    open_one, _ = invitation_create(created_by=admin, role="member")
    expired, _ = invitation_create(created_by=admin, role="member")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, _ = invitation_create(created_by=admin, role="admin")
    Invitation.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    used, token = invitation_create(created_by=admin, role="member")
    assert sign_up(public_client(), f"/accounts/invitation/{token}").status_code == 302

    everything = admin_api.get("/admin/invitations").json()
    assert everything["count"] == 4
    assert [i["id"] for i in everything["items"]] == [used.pk, revoked.pk, expired.pk, open_one.pk]
    for status, row in (("open", open_one), ("expired", expired), ("revoked", revoked), ("used", used)):
        items = admin_api.get("/admin/invitations", query={"status": status}).json()["items"]
        assert [(i["id"], i["status"]) for i in items] == [(row.pk, status)], status
    page = admin_api.get("/admin/invitations", query={"page_size": 3, "page": 2}).json()
    assert [i["id"] for i in page["items"]] == [open_one.pk]


def test_an_admin_revokes_an_invitation_once(admin_api, team_admin):
    invitation, token = invitation_create(created_by=team_admin, role="member")
    response = admin_api.post(f"/admin/invitations/{invitation.pk}/revoke")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked" and response.json()["revoked_at"] is not None
    assert public_client().get(f"/accounts/invitation/{token}").status_code == 410
    again = admin_api.post(f"/admin/invitations/{invitation.pk}/revoke")
    assert again.status_code == 409 and "revoked already" in again.json()["detail"]
    revoked = AuditEvent.objects.get(kind=AuditEvent.Kind.INVITATION_REVOKED)
    assert (revoked.actor, revoked.summary["invitation"]) == (admin_api.person, invitation.pk)
    assert token not in json.dumps(AuditEvent.objects.filter(pk=revoked.pk).values().get(), default=str)


def test_a_used_invitation_cannot_be_revoked(admin_api):
    invitation, token = invitation_create(created_by=admin_api.person, role="member")
    assert sign_up(public_client(), f"/accounts/invitation/{token}").status_code == 302
    response = admin_api.post(f"/admin/invitations/{invitation.pk}/revoke")
    assert response.status_code == 409 and "used already" in response.json()["detail"]
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_REVOKED).exists()


def test_an_invitation_that_does_not_exist_is_404(admin_api):
    response = admin_api.post("/admin/invitations/999/revoke")
    assert response.status_code == 404 and response.json() == {"detail": "Not found (or not yours)."}


def test_members_are_refused_every_invitation_endpoint(person, team_admin):
    invitation, token = invitation_create(created_by=team_admin, role="member")
    for api in (Api(token=api_token(person)), Api()):
        api.client.force_login(person)
        assert api.get("/admin/invitations").status_code == 403
        assert api.post("/admin/invitations", GOOD).status_code == 403
        assert api.post(f"/admin/invitations/{invitation.pk}/revoke").status_code == 403
    assert Invitation.objects.count() == 1 and Invitation.objects.get().status == "open"
    assert not AuditEvent.objects.filter(kind__startswith="invitation_").exclude(actor=team_admin).exists()


BAD_REQUESTS = [  # with a valid role, unless the role is what is wrong
    (b"{not json", 400), (b"", 422), (b"[]", 422), (b"{}", 422), ({"note": "no role"}, 422), (b"\x00", 400), (b"\xff\xfe", 400),
    ({"role": "owner"}, 422), ({"role": "Admin"}, 422), ({"role": None}, 422), ({"expires_in_days": 0}, 422), ({"expires_in_days": 31}, 422),
    ({"expires_in_days": "soon"}, 422), ({"expires_in_days": 1.5}, 422), ({"expires_in_days": 10**30}, 422),
    ({"allowed_email_domains": "example.com"}, 422), ({"allowed_email_domains": [5]}, 422),
    ({"allowed_email_domains": ["x"] * 51}, 422), ({"note": "x" * 201}, 422), ({"note": ["x"]}, 422),
    ({"allowed_email_domains": ["not a domain!"]}, 400), ({"allowed_email_domains": ["exa\x00mple.com"]}, 400),
    ({"allowed_email_domains": ["\ud800.com"]}, 400), ({"allowed_email_domains": ["a" * 60 + ".com"] * 9}, 400),
    ({"note": "a\x00b"}, 400), ({"note": "\ud800"}, 422),
]


@pytest.mark.parametrize("body, status", BAD_REQUESTS)
def test_bad_invitation_requests_are_refused_and_create_nothing(admin_api, body, status):
    if isinstance(body, dict) and "role" not in body and body.get("note") != "no role":
        body = {"role": "member", **body}
    response = admin_api.post("/admin/invitations", body)
    assert response.status_code == status, response.content
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    if status == 400 and isinstance(body, dict):
        assert response.json()["detail"].startswith("The invitation was not created: ")
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_CREATED).exists()
