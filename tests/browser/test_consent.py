"""The consent page in a real browser (Debian's chromium, Playwright) against a uvicorn worker: the
person unticks scopes, and what the client gets is what stayed ticked."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser.test_dashboard import browser_page, gateway_server  # noqa: F401 (fixtures)
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, authorize_query, connect_spotify, make_client, pkce_pair

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_the_person_unticks_scopes_and_the_client_gets_the_rest(gateway_server, browser_page, django_user_model):  # noqa: F811
    from urllib.parse import urlencode

    person = django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    connect_spotify(person)
    app = make_client(name="Chromium's client")
    verifier, challenge = pkce_pair()
    query = authorize_query(app, challenge, resource=f"{gateway_server}/mcp")
    page = browser_page
    page.route("http://127.0.0.1:43210/**", lambda route: route.fulfill(body="the client got its answer"))

    page.goto(f"{gateway_server}/oauth/authorize?{urlencode(query)}")
    page.fill("#id_username", "robin")
    page.fill("#id_password", "a long and unusual password")
    page.click("button[type=submit]")
    page.wait_for_selector("#authorizationForm")
    boxes = page.locator("input[name=approved_scope]")
    assert boxes.count() == 4 and all(boxes.nth(i).is_checked() for i in range(4))
    assert page.get_attribute("label[title='spotify:playback']", "title") == "spotify:playback"

    for index in range(4):
        boxes.nth(index).uncheck()
    page.click("#allow")
    page.wait_for_selector("[data-testid=consent-error]")
    assert "Tick at least one permission" in page.inner_text("[data-testid=consent-error]")

    page.check("input[value='spotify:read']")
    page.check("input[value='spotify:playlists']")
    with page.expect_request(lambda request: request.url.startswith(REDIRECT_URI)) as answered:
        page.click("#allow")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(answered.value.url).query).items()}

    tokens = httpx.post(f"{gateway_server}/oauth/token", data={
        "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": REDIRECT_URI,
        "client_id": app.client_id, "code_verifier": verifier,
    })
    assert tokens.status_code == 200, tokens.text
    assert set(tokens.json()["scope"].split()) == {"spotify:read", "spotify:playlists"}
