"""Password reset by email: a link from the sign-in page, a mail whose link is built on
PUBLIC_BASE_URL, the link works once and sets the password (ending a forced change too)."""

import re

import pytest
from django.core import mail

from tests.conftest import public_client

pytestmark = pytest.mark.django_db

NEW = "a brand new long password"


@pytest.fixture
def robin(django_user_model):
    return django_user_model.objects.create_user(username="robin", email="robin@example.com", password="an old long password", must_change_password=True)


def ask_for_a_link(client, email="Robin@Example.com"):
    page = client.get("/accounts/login/")
    assert 'href="/accounts/password/reset/"' in page.content.decode()
    assert client.get("/accounts/password/reset/").status_code == 200
    return client.post("/accounts/password/reset/", {"email": email})


def test_the_mailed_link_sets_a_new_password_once(robin, settings):
    settings.PUBLIC_BASE_URL = "https://gateway.example.org"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "gateway.example.org"]
    client = public_client()
    sent = ask_for_a_link(client)
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    assert "Check your email" in client.get(sent["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["robin@example.com"] and "Reset your password" in message.subject
    link = re.search(r"https://gateway\.example\.org(/accounts/reset/\S+/)", message.body).group(1)
    assert '"robin"' in message.body

    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    set_password_url = form.redirect_chain[-1][0]  # Django moves the token out of the URL first
    weak = client.post(set_password_url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200 and "too common" in weak.content.decode()
    done = client.post(set_password_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    robin.refresh_from_db()
    assert robin.check_password(NEW) and not robin.must_change_password

    again = public_client().get(link, follow=True)
    assert "does not work any more" in again.content.decode()
    assert public_client().post("/accounts/login/", {"username": "robin", "password": NEW}).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(robin):
    sent = ask_for_a_link(public_client(), email="nobody@example.com")
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_bad_input_and_missing_csrf(robin):
    assert public_client().post("/accounts/password/reset/", {"email": "not an email"}).status_code == 200
    assert public_client(enforce_csrf_checks=True).post("/accounts/password/reset/", {"email": "robin@example.com"}).status_code == 403
    assert mail.outbox == []
    assert "does not work any more" in public_client().get("/accounts/reset/MQ/bogus-token/", follow=True).content.decode()
