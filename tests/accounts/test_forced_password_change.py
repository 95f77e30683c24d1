"""A person an admin created with a password chooses their own at first sign-in: every page but the
password change, sign-out and static files sends them there; /mcp is not concerned."""

import pytest

from tests.conftest import make_personal_access_token, public_client
from tests.support.credentials import form_fields

pytestmark = pytest.mark.django_db

CHOSEN_BY_ADMIN = "a password the admin chose 42"


def sign_in(username, password):
    client = public_client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def created_by_admin(admin_client, django_user_model):
    page = admin_client.get("/admin/accounts/user/add/")
    fields = form_fields(page.content.decode(), form_id="user_form")
    response = admin_client.post("/admin/accounts/user/add/", {
        **fields, "username": "newbie", "usable_password": "true", "password1": CHOSEN_BY_ADMIN, "password2": CHOSEN_BY_ADMIN, "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    user = django_user_model.objects.get(username="newbie")
    assert user.must_change_password
    return user


def test_every_page_leads_to_the_password_change_until_it_is_done(created_by_admin):
    client = sign_in("newbie", CHOSEN_BY_ADMIN)
    for path in ("/", "/team/invitations", "/admin/", "/oauth/authorize/?client_id=x"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", path
    assert client.post("/tokens/create", {"name": "x", "scopes": "spotify:read"}).status_code == 302
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and 'data-testid="password-change-required"' in page.content.decode()

    weak = client.post("/accounts/password/", {"old_password": CHOSEN_BY_ADMIN, "new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200 and "too common" in weak.content.decode()
    created_by_admin.refresh_from_db()
    assert created_by_admin.must_change_password

    mine = "my very own secret phrase"
    done = client.post("/accounts/password/", {"old_password": CHOSEN_BY_ADMIN, "new_password1": mine, "new_password2": mine})
    assert done.status_code == 302
    created_by_admin.refresh_from_db()
    assert not created_by_admin.must_change_password and created_by_admin.check_password(mine)
    assert client.get("/").status_code == 200


def test_signing_out_stays_possible(created_by_admin):
    client = sign_in("newbie", CHOSEN_BY_ADMIN)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").headers["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_mcp_is_not_concerned(created_by_admin, start_gateway, emulator):
    import httpx

    token = make_personal_access_token(created_by_admin)
    base = start_gateway()
    response = httpx.post(f"{base}/mcp", headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
                                                   "MCP-Protocol-Version": "2025-11-25", "Content-Type": "application/json"},
                          json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                              "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    assert response.status_code == 200, response.text


def test_people_who_chose_their_password_are_not_concerned(person, admin_client):
    assert not person.must_change_password
    assert sign_in("pat", "correct horse battery staple").get("/").status_code == 200


def test_a_password_an_admin_sets_later_must_be_changed_too(admin_client, person):
    url = f"/admin/accounts/user/{person.pk}/password/"
    fields = form_fields(admin_client.get(url).content.decode(), having="password1")
    response = admin_client.post(url, {**fields, "usable_password": "true", "password1": CHOSEN_BY_ADMIN, "password2": CHOSEN_BY_ADMIN})
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.must_change_password
    assert sign_in("pat", CHOSEN_BY_ADMIN).get("/")["Location"] == "/accounts/password/"


def test_a_person_without_a_password_is_not_offered_a_password_change(django_user_model):
    """Single sign-on makes accounts without a password (accounts.sso): no Password link, and the
    page says why instead of asking for an old password they never had."""
    from tests.conftest import public_client

    person = django_user_model.objects.create_user(username="sso-person", email="sso@example.com")
    person.set_unusable_password()
    person.save()
    client = public_client()
    client.force_login(person)
    assert 'href="/accounts/password/"' not in client.get("/").content.decode()
    answer = client.get("/accounts/password/", follow=True)
    assert answer.redirect_chain[-1][0] == "/" and "no password to change" in answer.content.decode()


def test_a_person_with_a_password_keeps_the_password_link(django_user_model):
    person = django_user_model.objects.create_user(username="pw-person", password="a long and unusual password")
    client = public_client()
    client.force_login(person)
    assert 'href="/accounts/password/"' in client.get("/").content.decode()
    assert client.get("/accounts/password/").status_code == 200
