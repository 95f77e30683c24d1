"""The person's pages at phone (375 px) and desktop (1280 px) widths in a real browser (Debian's
chromium, the gateway served by uvicorn, its stylesheet and scripts from /static/): nothing scrolls
sideways but the tables inside their cards, each page has one <h1>, and relative times stay current.
Screenshots go to var/test-artifacts/ui/ for people to look at (README)."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.utils import timezone

from mcpgateway.audit.services import audit_record
from mcpgateway.spotify.models import SpotifyGrant
from tests.browser.test_admin_width import people_in_use
from tests.browser.test_dashboard import browser_page, gateway_server  # noqa: F401 (fixtures)
from tests.mcpgateway.oauth.conftest import authorize_query, make_client, pkce_pair

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": 375, "desktop": 1280}
ARTIFACTS = settings.BASE_DIR / "var" / "test-artifacts" / "ui"


def a_person_in_use(emulator, django_user_model):
    """A person with a connected Spotify account, a token and an OAuth client with long names, and activity."""
    (person,) = people_in_use(emulator, django_user_model, count=1)
    SpotifyGrant.objects.filter(user=person).update(status=SpotifyGrant.Status.ACTIVE, display_name="Someone With A Long Spotify Name")
    for index in range(3):
        audit_record(kind="tool_call", user=person, client_name="Visual Studio Code Insiders (GitHub Copilot agent mode)",
                     outcome="error", reason="spotify_error",
                     details={"tool": "start_playback", "message": "Spotify said: Player command failed: No active device found" * 2})
    return person


def sign_in(page, base: str, username: str, *, next_path: str = "/") -> None:
    page.goto(f"{base}/accounts/login/?{urlencode({'next': next_path})}")
    page.fill("#id_username", username)
    page.fill("#id_password", "x")
    page.click("button[type=submit]")


def measure(page) -> dict:
    return page.evaluate("""() => ({
        scrollWidth: document.scrollingElement.scrollWidth,
        h1: document.querySelectorAll('h1').length,
        styled: getComputedStyle(document.querySelector('header')).backgroundColor,
        // A card wider than the window, or a table sticking out of its card, breaks the layout.
        cardsOut: Array.from(document.querySelectorAll('.card')).filter(c => c.getBoundingClientRect().right > window.innerWidth + 1).length,
        tablesOut: Array.from(document.querySelectorAll('.card table')).filter(t => {
            const box = t.closest('.table-scroll'); return !box || box.getBoundingClientRect().right > t.closest('.card').getBoundingClientRect().right + 1;
        }).length,
    })""")


def test_the_persons_pages_fit_375_and_1280_pixels(gateway_server, browser_page, emulator, django_user_model):  # noqa: F811
    person = a_person_in_use(emulator, django_user_model)
    app = make_client(name="Claude Desktop on a long-named laptop with a long client name")
    _, challenge = pkce_pair()
    consent = "/oauth/authorize?" + urlencode(authorize_query(app, challenge, resource=f"{gateway_server}/mcp"))
    pages = {"dashboard": "/", "connect": "/connect", "activity": "/activity", "consent": consent, "not-found": "/no/such/page"}
    page = browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for label, width in WIDTHS.items():  # the sign-in page, before signing in
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(gateway_server + "/accounts/login/")
        found = measure(page)
        if found["scrollWidth"] > width or found["h1"] != 1:
            problems[(label, "sign-in")] = found
        page.screenshot(path=str(ARTIFACTS / f"sign-in-{label}-{width}px.png"), full_page=True)
    sign_in(page, gateway_server, person.get_username())
    page.wait_for_selector("[data-testid=spotify-status]")

    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            response = page.goto(gateway_server + path)
            assert response.status == (404 if name == "not-found" else 200), (name, response.status)
            found = measure(page)
            assert found["styled"] == "rgb(18, 18, 18)", "gateway.css was not served"
            if found["scrollWidth"] > width or found["h1"] != 1 or found["cardsOut"] or found["tablesOut"]:
                problems[(label, name)] = found
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}-{width}px.png"), full_page=True)
    assert problems == {}


def test_relative_times_update_in_the_browser(gateway_server, browser_page, emulator, django_user_model):  # noqa: F811
    person = a_person_in_use(emulator, django_user_model)
    page = browser_page
    sign_in(page, gateway_server, person.get_username())
    page.wait_for_selector("[data-testid=spotify-status]")
    last_seen = page.locator("[data-testid=oauth-client-session] time[data-relative]").first
    assert last_seen.inner_text() == "just now"
    # As if the page had stayed open 7 minutes: the script re-words it from its datetime.
    seven_minutes_ago = (timezone.now() - timedelta(minutes=7, seconds=3)).isoformat()
    last_seen.evaluate("(element, when) => element.setAttribute('datetime', when)", seven_minutes_ago)
    page.evaluate("window.gatewayRelativeTimes()")
    assert last_seen.inner_text() == "7 minutes ago"
