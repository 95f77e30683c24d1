"""A person signs in and connects the emulator's Spotify account in a real browser (Debian's
chromium driven by Playwright), against the gateway served by uvicorn as in production."""

import os
import shutil

import pytest
from django.conf import settings

from mcpgateway.spotify.models import SpotifyGrant
from tests.support.processes import GatewayProcesses, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium reaches for Google's services, which this machine's network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def gateway_server(emulator, settings):
    """A gateway worker (uvicorn, as in production) whose Spotify redirect URI the emulator knows."""
    processes = GatewayProcesses()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings.SPOTIFY_REDIRECT_URI = f"{base}/spotify/callback"
    emulator.register_client(settings.SPOTIFY_CLIENT_ID, [settings.SPOTIFY_REDIRECT_URI], mode="extended")
    try:
        yield processes.start(port=port, PUBLIC_BASE_URL=base)
    finally:
        processes.stop()


@pytest.fixture
def browser_page():
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: ./dev test installs it"
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of this test are
    # plain synchronous ones made between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.django_db(transaction=True)
def test_sign_in_and_connect_spotify_in_a_browser(gateway_server, browser_page, django_user_model):
    person = django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    page = browser_page

    page.goto(gateway_server + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "robin")
    page.fill("#id_password", "a long and unusual password")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=spotify-status]")
    assert page.inner_text("[data-testid=spotify-status]") == "Not connected"

    page.click("#connect-spotify")
    page.wait_for_selector("#agree")  # the emulator's consent page
    chosen = page.locator("input[name=user_id]").first
    chosen.check()
    page.click("#agree")

    page.wait_for_url(gateway_server + "/")
    grant = SpotifyGrant.objects.get(user=person)
    assert page.inner_text("[data-testid=spotify-status]") == f"Connected as {grant.display_name}"
    assert "user-modify-playback-state" in page.inner_text("[data-testid=spotify-scopes]")
    assert "Spotify connected as" in page.inner_text(".messages")
    artifacts = settings.BASE_DIR / "var" / "test-artifacts"  # kept after the run, for people to look at
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / "dashboard-connected.png"), full_page=True)

    page.click("#disconnect-spotify")  # a link to the confirmation page: nothing is disconnected yet
    page.wait_for_selector("#confirm-disconnect-spotify")
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.ACTIVE
    page.click("#confirm-disconnect-spotify button[type=submit]")
    page.wait_for_selector("#connect-spotify")
    assert page.inner_text("[data-testid=spotify-status]") == "Not connected"
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.DISCONNECTED


@pytest.mark.django_db(transaction=True)
def test_wrong_password_shows_a_message(gateway_server, browser_page, django_user_model):
    django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    page = browser_page
    page.goto(gateway_server + "/accounts/login/")
    page.fill("#id_username", "robin")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "didn't match" in page.inner_text("[role=alert]")
