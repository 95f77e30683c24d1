"""Invitations over HTTP: an admin creates one (the admin's own add page, or the team page), the
invitee opens the link, picks a username, email and password and lands signed in; every bad link or
bad field gets a clear page and creates nothing."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Invitation
from accounts.roles import TEAM_ADMINS_GROUP
from accounts.services import invitation_create, token_digest
from mcpgateway.audit.models import AuditEvent
from tests.conftest import public_client

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual password"


def link_on(page) -> str:
    return unescape(re.search(r'id="invitation-link"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="invitation-link"', page.content.decode()).group(1))


def path_of(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def sign_up(client, path, *, username="sam", email="sam@example.com", password=PASSWORD, password2=None):
    return client.post(path, {"username": username, "email": email, "password1": password, "password2": password2 or password})


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", unescape(response.content.decode())))


@pytest.fixture
def invitation(admin_client):
    invitation, token = invitation_create(created_by=admin_client.admin, role="member", allowed_email_domains="example.com")
    return invitation, f"/accounts/invitation/{token}"


def test_the_admins_add_page_shows_the_link_once_and_stores_only_its_hash(admin_client):
    form = admin_client.get("/admin/accounts/invitation/add/")
    assert form.status_code == 200 and 'name="allowed_email_domains"' in form.content.decode()

    created = admin_client.post("/admin/accounts/invitation/add/", {"note": "Sam", "role": "admin", "allowed_email_domains": "example.com", "expires_in_days": "7"})

    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    link = link_on(created)
    assert link.startswith("http://127.0.0.1:8000/accounts/invitation/smgi_")
    token = link.rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_digest == token_digest(token) and token not in str(Invitation.objects.values().get())
    assert (invitation.role, invitation.allowed_email_domains, invitation.created_by) == ("admin", "example.com", admin_client.admin)
    # Nowhere to see it again: the list and the invitation's own page show no link.
    assert token not in admin_client.get("/admin/accounts/invitation/").content.decode()
    assert token not in admin_client.get(f"/admin/accounts/invitation/{invitation.pk}/change/").content.decode()


def test_the_admins_add_page_refuses_bad_input(admin_client):
    response = admin_client.post("/admin/accounts/invitation/add/", {"role": "owner", "allowed_email_domains": "not a domain!", "expires_in_days": "99"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    response = admin_client.post("/admin/accounts/invitation/add/", {"role": "member", "allowed_email_domains": "exa mple!.com", "expires_in_days": "7"})
    assert response.status_code == 400 and "is not an email domain" in text(response)
    assert not Invitation.objects.exists()


def test_the_admin_revokes_an_invitation_with_its_action(admin_client, invitation):
    row, path = invitation
    response = admin_client.post("/admin/accounts/invitation/", {"action": "revoke", "_selected_action": [str(row.pk)], "index": "0"})
    assert response.status_code == 302
    assert public_client().get(path).status_code == 410


def test_accepting_makes_the_account_signs_in_and_uses_the_invitation_up(invitation):
    row, path = invitation
    client = public_client()
    page = client.get(path)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "You were invited as a member" in text(page) and "example.com" in text(page)

    response = sign_up(client, path)

    assert response.status_code == 302 and response["Location"] == "/"
    person = get_user_model().objects.get(username="sam")
    assert person.email == "sam@example.com" and person.check_password(PASSWORD)
    assert not person.is_staff and not person.must_change_password
    row.refresh_from_db()
    assert row.used_by == person and row.used_at is not None
    assert list(AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_ACCEPTED).values_list("user", flat=True)) == [person.pk]
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "Welcome, sam" in text(dashboard)


def test_an_admin_invitation_makes_a_team_admin(admin_client):
    _, token = invitation_create(created_by=admin_client.admin, role="admin")
    client = public_client()
    assert sign_up(client, f"/accounts/invitation/{token}", email="ada@anywhere.org").status_code == 302
    person = get_user_model().objects.get(username="sam")
    assert person.is_staff and not person.is_superuser
    assert person.groups.filter(name=TEAM_ADMINS_GROUP).exists()
    assert client.get("/team/invitations").status_code == 200


def test_a_used_invitation_is_gone(invitation):
    _, path = invitation
    assert sign_up(public_client(), path).status_code == 302
    again = public_client()
    page = again.get(path)
    assert page.status_code == 410 and "used already" in text(page)
    response = sign_up(again, path, username="eve", email="eve@example.com")
    assert response.status_code == 410
    assert not get_user_model().objects.filter(username="eve").exists()


def test_an_expired_invitation_is_gone(invitation):
    row, path = invitation
    Invitation.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = public_client()
    page = client.get(path)
    assert page.status_code == 410 and "expired" in text(page)
    assert sign_up(client, path).status_code == 410
    assert not get_user_model().objects.filter(username="sam").exists()


def test_a_revoked_invitation_is_gone(admin_client, invitation):
    row, path = invitation
    assert admin_client.post(f"/team/invitations/{row.pk}/revoke").status_code == 302
    client = public_client()
    page = client.get(path)
    assert page.status_code == 410 and "withdrawn" in text(page)
    assert sign_up(client, path).status_code == 410
    assert not get_user_model().objects.filter(username="sam").exists()


def test_an_unknown_invitation_is_not_found(invitation):
    client = public_client()
    for path in ("/accounts/invitation/smgi_not-a-real-token", "/accounts/invitation/x"):
        page = client.get(path)
        assert page.status_code == 404 and "not valid" in text(page)
        assert sign_up(client, path).status_code == 404
    assert not get_user_model().objects.filter(username="sam").exists()


@pytest.mark.parametrize("fields, message", [
    ({"email": "sam@elsewhere.com"}, "This invitation is for addresses at example.com"),
    ({"email": "not-an-email"}, "Enter a valid email address"),
    ({"password": "password"}, "This password is too common"),
    ({"password": "12345678901"}, "This password is entirely numeric"),
    ({"password": "short"}, "This password is too short"),
    ({"password2": "a different long password"}, "The two password fields"),
    ({"username": "root"}, "A user with that username already exists"),
    ({"username": "ROOT"}, "A user with that username already exists"),
    ({"username": "bad name!"}, "Enter a valid username"),
])
def test_bad_input_is_refused_on_the_page_and_creates_nothing(invitation, fields, message):
    row, path = invitation
    client = public_client()
    before = get_user_model().objects.count()
    response = sign_up(client, path, **fields)
    assert response.status_code == 400
    assert message in text(response)
    assert get_user_model().objects.count() == before
    row.refresh_from_db()
    assert row.used_at is None
    # The invitation still works with good input.
    assert sign_up(client, path).status_code == 302


def test_an_email_of_an_existing_account_is_refused(invitation, django_user_model):
    django_user_model.objects.create_user(username="other", email="Sam@Example.com", password=PASSWORD)
    _, path = invitation
    response = sign_up(public_client(), path)
    assert response.status_code == 400 and "An account with this email address exists already" in text(response)


def test_a_post_without_the_csrf_token_is_refused(invitation):
    _, path = invitation
    client = public_client(enforce_csrf_checks=True)
    assert sign_up(client, path).status_code == 403
    assert not get_user_model().objects.filter(username="sam").exists()


def test_the_team_admins_group_holds_the_gateways_admin_permissions():
    codenames = set(Group.objects.get(name=TEAM_ADMINS_GROUP).permissions.values_list("content_type__app_label", "codename"))
    for expected in [("accounts", "add_invitation"), ("accounts", "view_personalaccesstoken"), ("accounts", "delete_personalaccesstoken"),
                     ("mcpgateway", "view_spotifygrant"), ("mcpgateway", "delete_mcpsession"), ("oauth2_provider", "change_application"),
                     ("accounts", "view_user"), ("accounts", "change_user")]:
        assert expected in codenames
    assert ("accounts", "delete_user") not in codenames and ("auth", "change_group") not in codenames


def test_a_refused_sign_up_is_logged_without_the_invitations_token(invitation, caplog):
    """Django logs a 400 as "Bad Request: <path>"; the path of an invitation holds its token."""
    _, path = invitation
    token = path.rsplit("/", 1)[1]
    with caplog.at_level("WARNING", logger="django.request"):
        assert sign_up(public_client(), path, password="short").status_code == 400
    logged = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert logged == ["Bad Request: /accounts/invitation/…"], logged
    assert token not in caplog.text
