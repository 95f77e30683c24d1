"""/api/docs in a real browser, signed in: the Swagger UI (served by the gateway itself) lists the
API, and "Try it out" sends the session and the CSRF token, so a POST goes through."""

import pytest

from accounts.models import PersonalAccessToken

from .test_dashboard import browser_page, gateway_server  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "robin")
    page.fill("#id_password", "a long and unusual password")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=spotify-status]")


def try_it_out(page, operation_id: str) -> tuple[str, str]:
    """Open an operation in the Swagger UI, execute it; its HTTP status and response body."""
    block = page.locator(f"#operations-{operation_id}")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    return status.inner_text().strip(), block.locator(".live-responses-table .response-col_description pre").first.inner_text()


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_person_tries_the_api_in_its_docs(gateway_server, browser_page, django_user_model):  # noqa: F811
    django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    page = browser_page
    sign_in(page, gateway_server)
    page.goto(gateway_server + "/api/docs")
    page.wait_for_selector("#operations-me-mcpgateway_api_me_me")
    status, body = try_it_out(page, "me-mcpgateway_api_me_me")
    assert status == "200" and '"username": "robin"' in body
    # A POST: the docs page sends the CSRF token (a 403 would say CSRF), and the endpoint answers.
    status, body = try_it_out(page, "spotify-mcpgateway_api_spotify_spotify_disconnect")
    assert status == "409" and "Spotify was not connected." in body
    # And a script on the page can do the same with the csrftoken cookie.
    created = page.evaluate("""async () => {
        const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
        const response = await fetch('/api/tokens', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                                                     body: JSON.stringify({name: 'from the page', scopes: ['spotify:read']})});
        return [response.status, (await response.json()).name];
    }""")
    assert created == [201, "from the page"]
    assert PersonalAccessToken.objects.get().name == "from the page"
