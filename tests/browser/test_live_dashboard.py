"""The live dashboard in Debian's chromium: a token revoked in another browser is marked revoked on
the open page without a reload, and the page offers the reload; a gateway that goes away is said."""

import os

import pytest
from playwright.sync_api import expect

from accounts.models import PersonalAccessToken
from tests.browser.test_dashboard import CHROMIUM, CHROMIUM_ARGS, gateway_server  # noqa: F401 (fixtures)
from tests.conftest import make_personal_access_token

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual password"


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=spotify-status]")


def test_a_revocation_in_another_browser_updates_the_open_page(gateway_server, django_user_model):  # noqa: F811
    django_user_model.objects.create_user(username="robin", password=PASSWORD)
    person = django_user_model.objects.get(username="robin")
    make_personal_access_token(person, name="laptop script")
    token = PersonalAccessToken.objects.get(user=person, name="laptop script")

    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            watching, revoking = browser.new_context().new_page(), browser.new_context().new_page()
            for page in (watching, revoking):
                page.set_default_timeout(15_000)
                sign_in(page, gateway_server, "robin")
            status = watching.locator("[data-testid=live-status]")
            expect(status).to_have_attribute("data-socket", "open")
            expect(status).to_be_hidden()

            revoking.goto(f"{gateway_server}/tokens/{token.pk}/revoke")
            revoking.get_by_role("button", name="Revoke laptop script").click()
            revoking.wait_for_url(f"{gateway_server}/")

            row = watching.locator(f'[data-credential="{token.credential_id}"]')
            expect(row).to_have_attribute("data-live", "revoked", timeout=5_000)
            expect(row).to_contain_text("(revoked)")
            expect(status).to_be_visible()
            expect(status).to_contain_text("revoked")
            expect(watching.locator("[data-testid=live-reload]")).to_be_visible()
        finally:
            browser.close()


def test_the_page_says_when_live_updates_are_off(django_user_model):
    from playwright.sync_api import sync_playwright

    from tests.support.processes import GatewayProcesses

    django_user_model.objects.create_user(username="robin", password=PASSWORD)
    processes = GatewayProcesses()
    gateway = processes.start()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_default_timeout(15_000)
                sign_in(page, gateway, "robin")
                status = page.locator("[data-testid=live-status]")
                expect(status).to_have_attribute("data-socket", "open")
                processes.stop()  # the gateway goes away: the page stays, and says what that means
                expect(status).to_have_attribute("data-socket", "closed")
                expect(status).to_contain_text("Live updates are off")
                expect(page.locator("[data-testid=live-reload]")).to_be_visible()
            finally:
                browser.close()
    finally:
        processes.stop()
