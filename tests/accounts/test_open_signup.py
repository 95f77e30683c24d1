"""Open sign-up (/accounts/signup): off by default, a 404 that says people join by invitation;
with OPEN_SIGNUP on, the sign-up form without an invitation makes a member account."""

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import public_client

pytestmark = pytest.mark.django_db

FIELDS = {"username": "sam", "email": "sam@example.com", "password1": "a long and unusual password", "password2": "a long and unusual password"}


def test_off_by_default():
    client = public_client()
    page = client.get("/accounts/signup")
    assert page.status_code == 404 and "Sign-up is by invitation" in page.content.decode()
    assert client.post("/accounts/signup", FIELDS).status_code == 404
    assert not get_user_model().objects.exists()


def test_on_it_makes_a_member_account(settings):
    settings.OPEN_SIGNUP = True
    client = public_client()
    assert client.get("/accounts/signup").status_code == 200
    weak = client.post("/accounts/signup", {**FIELDS, "password1": "sam", "password2": "sam"})
    assert weak.status_code == 400 and not get_user_model().objects.exists()
    response = client.post("/accounts/signup", FIELDS)
    assert response.status_code == 302 and response["Location"] == "/"
    person = get_user_model().objects.get()
    assert (person.username, person.is_staff, person.must_change_password) == ("sam", False, False)
    assert client.get("/").status_code == 200
    duplicate = public_client().post("/accounts/signup", {**FIELDS, "email": "other@example.com"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()
    assert public_client(enforce_csrf_checks=True).post("/accounts/signup", {**FIELDS, "username": "eve", "email": "e@example.com"}).status_code == 403
    assert get_user_model().objects.count() == 1
