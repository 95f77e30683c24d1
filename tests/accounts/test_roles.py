"""Roles in the admin: the people list shows each role, its "Make admin"/"Make member" actions change
it (is_staff and the "Team admins" group), and a team admin who is not a superuser can use the admin
for the gateway's models but cannot make anyone a superuser or touch a superuser."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model

from accounts.roles import TEAM_ADMINS_GROUP, is_team_admin
from accounts.services import user_set_role
from tests.conftest import public_client

pytestmark = pytest.mark.django_db


def act(client, name, users):
    return client.post("/admin/accounts/user/", {"action": name, "_selected_action": [str(u.pk) for u in users], "index": "0"}, follow=True)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", unescape(response.content.decode())))


def test_the_people_list_shows_roles_and_the_actions_change_them(admin_client, person):
    listing = text(admin_client.get("/admin/accounts/user/"))
    assert "Role" in listing and "member" in listing and "admin (superuser)" in listing

    answer = act(admin_client, "make_admin", [person])
    assert "Now admin: pat." in text(answer)
    person.refresh_from_db()
    assert person.is_staff and is_team_admin(person) and person.groups.filter(name=TEAM_ADMINS_GROUP).exists()

    act(admin_client, "make_member", [person])
    person.refresh_from_db()
    assert not person.is_staff and not is_team_admin(person) and not person.groups.exists()


def test_the_actions_refuse_what_would_lock_the_team_out(admin_client, person):
    answer = act(admin_client, "make_member", [admin_client.admin])
    assert "You cannot change your own role" in text(answer)
    other_root = get_user_model().objects.create_superuser(username="root2", password="x", email="")
    answer = act(admin_client, "make_member", [other_root])
    assert "is a superuser and stays an admin" in text(answer)
    assert get_user_model().objects.get(pk=other_root.pk).is_staff


def test_a_team_admin_uses_the_admin_without_superuser_powers(admin_client, person, django_user_model):
    boss = django_user_model.objects.create_user(username="boss", password="a long and unusual password")
    user_set_role(user=boss, role="admin", changed_by=admin_client.admin)
    client = public_client()
    client.force_login(boss)
    for page in ("/admin/", "/admin/accounts/personalaccesstoken/", "/admin/accounts/invitation/", "/admin/accounts/invitation/add/",
                 "/admin/mcpgateway/spotifygrant/", "/admin/mcpgateway/mcpsession/", "/admin/oauth2_provider/application/", "/admin/accounts/user/"):
        assert client.get(page).status_code == 200, page
    change = client.get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    assert 'name="is_active"' in change and 'name="is_superuser"' not in change and 'name="user_permissions"' not in change
    # Posting superuser status anyway changes nothing.
    from tests.support.credentials import form_fields

    fields = form_fields(change, form_id="user_form")
    response = client.post(f"/admin/accounts/user/{person.pk}/change/", {**fields, "is_superuser": "on", "_save": "Save"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_superuser
    # A superuser is read-only to them, password included.
    root = admin_client.admin
    assert 'name="is_active"' not in client.get(f"/admin/accounts/user/{root.pk}/change/").content.decode()
    assert client.get(f"/admin/accounts/user/{root.pk}/password/").status_code == 403
    # They make members admins and back, but people are not deleted.
    act(client, "make_admin", [person])
    person.refresh_from_db()
    assert person.is_staff
    assert client.get(f"/admin/accounts/user/{person.pk}/delete/").status_code == 403


def test_a_member_has_no_admin(person):
    client = public_client()
    client.force_login(person)
    assert client.get("/admin/").status_code == 302


def test_ticking_superuser_status_makes_an_admin_who_can_open_the_admin(admin_client, person):
    from tests.support.credentials import form_fields

    url = f"/admin/accounts/user/{person.pk}/change/"
    fields = form_fields(admin_client.get(url).content.decode(), form_id="user_form")
    assert admin_client.post(url, {**fields, "is_superuser": "on", "_save": "Save"}).status_code == 302
    person.refresh_from_db()
    assert person.is_superuser and person.is_staff and person.groups.filter(name=TEAM_ADMINS_GROUP).exists()
    client = public_client()
    client.force_login(person)
    assert client.get("/admin/").status_code == 200
