"""Sign-in lockout (django-axes) on the dashboard's and the admin's sign-in pages, over HTTP: per
account and per client address, told on the page with the username kept, until the lock ends."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.conftest import public_client

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual password"
LOCKED = "signing in is locked for 15 minutes"


@pytest.fixture
def robin(django_user_model):
    return django_user_model.objects.create_user(username="robin", password=PASSWORD)


def sign_in(client, username: str, password: str, *, path: str = "/accounts/login/", address: str = "127.0.0.1", **headers):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def assert_locked_out(response, username: str) -> None:
    page = response.content.decode()
    assert response.status_code == 429, page[:500]
    assert LOCKED in page
    assert f'value="{username}"' in page  # the username they typed is kept
    assert '<form method="post"' in page and "/static/css/gateway.css" in page  # the styled sign-in page, not a bare text


def test_thirty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(client, robin, settings):
    answers = [sign_in(client, "robin", f"wrong {attempt}") for attempt in range(30)]

    allowed = settings.AXES_FAILURE_LIMIT - 1
    assert [answer.status_code for answer in answers[:allowed]] == [200] * allowed
    assert "didn't match" in answers[0].content.decode()
    for answer in answers[allowed:]:
        assert_locked_out(answer, "robin")
    assert answers[-1]["Retry-After"] == "900"

    assert_locked_out(sign_in(client, "robin", PASSWORD), "robin")
    assert client.get("/")["Location"].startswith("/accounts/login/")  # not signed in


def test_ten_wrong_passwords_on_the_admin_sign_in_lock_it_too(client, django_user_model):
    django_user_model.objects.create_superuser(username="admin", password=PASSWORD)

    answers = [sign_in(client, "admin", f"wrong {attempt}", path="/admin/login/") for attempt in range(10)]

    assert answers[0].status_code == 200
    assert_locked_out(answers[-1], "admin")
    assert_locked_out(sign_in(client, "admin", PASSWORD, path="/admin/login/"), "admin")
    assert client.get("/admin/").status_code == 302  # still signed out


def test_one_address_trying_many_accounts_is_locked_whatever_it_forwards(client, robin, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # A forwarded header is the client's own claim (no TRUSTED_PROXIES): it changes nothing.
        sign_in(client, f"guess{attempt}", "wrong", address="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")

    assert_locked_out(sign_in(client, "robin", PASSWORD, address="203.0.113.9"), "robin")
    assert sign_in(client, "robin", PASSWORD, address="192.0.2.20").status_code == 302  # from elsewhere robin is fine


def test_one_account_tried_from_many_addresses_is_locked(client, robin, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "robin", "wrong", address=f"198.51.100.{attempt}")

    assert_locked_out(sign_in(client, "robin", PASSWORD, address="192.0.2.20"), "robin")


def test_signing_in_to_ones_own_account_does_not_clear_the_failures_against_another(client, robin, django_user_model, settings):
    django_user_model.objects.create_user(username="mallory", password="mallory's own password")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "robin", "wrong")
    assert sign_in(client, "mallory", "mallory's own password").status_code == 302
    client.logout()

    assert_locked_out(sign_in(client, "robin", "wrong again"), "robin")


def test_the_right_password_works_again_when_the_lock_has_ended(client, robin, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=4)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "robin", "wrong")
    locked = sign_in(client, "robin", PASSWORD)
    assert locked.status_code == 429 and "signing in is locked for 4 seconds" in locked.content.decode()

    time.sleep(4.5)

    assert sign_in(client, "robin", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_an_admin_lifts_the_lock_in_the_admin_which_shows_no_secrets(client, robin, django_user_model, settings):
    next_url = "/spotify/callback?code=SECRETCODE123&state=SECRETSTATE456"
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(f"/accounts/login/?next={quote(next_url)}", {"username": "robin", "password": f"NEAR-MISS-{attempt}",
                                                                 "next": next_url, "csrfmiddlewaretoken": "CSRFSECRET789"})
    assert_locked_out(sign_in(client, "robin", PASSWORD), "robin")
    admin = public_client()
    admin.force_login(django_user_model.objects.create_superuser(username="admin", password="another long password"))

    changelist = admin.get("/admin/axes/accessattempt/")
    attempt_ids = [attempt.pk for attempt in changelist.context["cl"].result_list]
    pages = changelist.content.decode() + "".join(
        admin.get(f"/admin/axes/accessattempt/{pk}/change/").content.decode() for pk in attempt_ids)
    assert "robin" in pages
    for secret in ("NEAR-MISS", "SECRETCODE123", "SECRETSTATE456", "CSRFSECRET789"):
        assert secret not in pages

    confirm = admin.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": attempt_ids})
    assert confirm.status_code == 200  # Django's "Are you sure?" page
    admin.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": attempt_ids, "post": "yes"})

    assert sign_in(client, "robin", PASSWORD).status_code == 302
