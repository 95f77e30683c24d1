"""A person mistypes their password until sign-in locks, in a real browser (Debian's chromium via
Playwright) against a uvicorn worker: the page says so and keeps the username, the right password
is refused until the lock ends, then it works."""

import pytest

from tests.browser.test_dashboard import browser_page  # noqa: F401 (fixture)
from tests.support.processes import GatewayProcesses

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "a long and unusual password"
LOCKOUT_SECONDS = 6


@pytest.fixture
def gateway_with_a_short_lock():
    processes = GatewayProcesses()
    try:
        yield processes.start(SIGN_IN_FAILURE_LIMIT="3", SIGN_IN_LOCKOUT_SECONDS=str(LOCKOUT_SECONDS))
    finally:
        processes.stop()


def submit(page, password: str) -> None:
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_lock_sign_in_until_the_lock_ends(gateway_with_a_short_lock, browser_page, django_user_model):  # noqa: F811
    django_user_model.objects.create_user(username="robin", password=PASSWORD)
    page = browser_page
    page.goto(gateway_with_a_short_lock + "/accounts/login/")
    page.fill("#id_username", "robin")

    submit(page, "wrong once")
    assert "didn't match" in page.inner_text("[role=alert]")
    submit(page, "wrong twice")
    submit(page, "wrong thrice")
    assert f"signing in is locked for {LOCKOUT_SECONDS} seconds" in page.inner_text("[data-testid=sign-in-locked]")
    assert page.input_value("#id_username") == "robin"

    submit(page, PASSWORD)
    assert page.is_visible("[data-testid=sign-in-locked]")
    assert page.url.endswith("/accounts/login/")

    page.wait_for_timeout(LOCKOUT_SECONDS * 1000 + 500)  # the lock runs from the last attempt
    submit(page, PASSWORD)
    page.wait_for_selector("[data-testid=spotify-status]")  # the dashboard
