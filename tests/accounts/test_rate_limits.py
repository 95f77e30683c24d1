"""Rate limits on what anyone may ask for without an account (mcpgateway.core.rate_limits, over the
shared cache): password reset requests per client address, reset mails per email address whatever
the sender, and open sign-ups per client address. Over the limit: 429 with Retry-After and a
message on the page, and nothing done."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.conftest import public_client

pytestmark = pytest.mark.django_db
PASSWORD = "a long and unusual password"


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    # Counters of their own: other tests' requests (same client addresses) must not count here.
    settings.RATELIMIT_CACHE_PREFIX = f"rl-{uuid.uuid4().hex}:"


def reset(client, email: str, address: str = "198.51.100.7"):
    return client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=address)


def test_password_resets_from_one_address_are_limited(settings):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    get_user_model().objects.create_user(username="sam", email="sam@example.com", password=PASSWORD)
    client = public_client()
    assert [reset(client, "sam@example.com").status_code for _ in range(2)] == [302, 302]
    refused = reset(client, "nobody@example.com")
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == 2
    # Another address is counted on its own.
    assert reset(client, "other@example.com", address="198.51.100.8").status_code == 302


def test_reset_mails_to_one_person_are_limited_whatever_the_sender(settings):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    get_user_model().objects.create_user(username="sam", email="sam@example.com", password=PASSWORD)
    client = public_client()
    answers = [reset(client, "Sam@Example.com", address=f"198.51.100.{n}") for n in range(1, 5)]
    # Every sender sees "sent" (the page must not tell who has an account); only two mails go out.
    assert [answer.status_code for answer in answers] == [302] * 4
    assert len(mail.outbox) == 2


def test_open_sign_ups_from_one_address_are_limited(settings):
    settings.OPEN_SIGNUP = True
    settings.SIGN_UP_LIMIT_PER_HOUR = 2
    client = public_client()

    def sign_up(username):
        return client.post("/accounts/signup", {"username": username, "email": f"{username}@example.com",
                                                "password1": PASSWORD, "password2": PASSWORD}, REMOTE_ADDR="203.0.113.9")

    assert sign_up("ann").status_code == 302
    client.logout()
    assert sign_up("bob").status_code == 302
    client.logout()
    refused = sign_up("cid")
    assert refused.status_code == 429 and "Too many accounts were created from your address" in refused.content.decode()
    assert not get_user_model().objects.filter(username="cid").exists()
