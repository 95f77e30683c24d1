"""Issue #10's journey in real browsers (Debian's chromium, Playwright), against a uvicorn worker:
an admin invites; the invitee signs up in a browser of their own, connects Spotify, registers an
MCP client (Dynamic Client Registration) and approves it with one scope unticked; the client's
tool calls, the allowed one and the refused one, show on the invitee's Activity page and in the
admin's audit list and CSV export, with no token anywhere in them."""

import hashlib
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.browser.test_dashboard import browser_page, gateway_server  # noqa: F401 (fixtures)
from tests.mcpgateway.mcp.conftest import modern_call, reply_of
from tests.mcpgateway.oauth.conftest import REDIRECT_URI, pkce_pair

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "a long and unusual password"


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=spotify-status]")


def wait_for_rows(page, url: str, expected: list[str], timeout: float = 15) -> str:
    """Tool calls reach the audit table through the worker's writer (about a second later)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        text = page.inner_text("body")
        if all(item in text for item in expected) or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_invitation_sign_up_connect_consent_and_audit(gateway_server, browser_page, django_user_model):  # noqa: F811
    django_user_model.objects.create_superuser(username="root", password="an admin password 123", email="")
    admin = browser_page
    sign_in(admin, gateway_server, "root", "an admin password 123")
    admin.click("header >> text=Team")
    admin.click("text=Invite someone")
    admin.fill("#invitation-domains", "example.com")
    admin.click("#create-invitation")
    link = admin.input_value("[data-testid=invitation-link]")

    # The invitee, in a browser of their own: sign up, connect Spotify.
    invitee = admin.context.browser.new_context().new_page()
    invitee.set_default_timeout(15_000)
    invitee.goto(link)
    invitee.fill("#id_username", "sam")
    invitee.fill("#id_email", "sam@example.com")
    invitee.fill("#id_password1", PASSWORD)
    invitee.fill("#id_password2", PASSWORD)
    invitee.click("#create-account")
    invitee.wait_for_url(gateway_server + "/")
    invitee.click("#connect-spotify")
    invitee.wait_for_selector("#agree")
    invitee.locator("input[name=user_id]").first.check()
    invitee.click("#agree")
    invitee.wait_for_url(gateway_server + "/")
    assert invitee.inner_text("[data-testid=spotify-status]").startswith("Connected as")

    # An MCP client registers itself and sends the invitee to the consent page, who unticks playback.
    registration = httpx.post(f"{gateway_server}/oauth/register", json={
        "client_name": "Journey client", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
    })
    assert registration.status_code == 201, registration.text
    client_id = registration.json()["client_id"]
    verifier, challenge = pkce_pair()
    invitee.route(REDIRECT_URI + "**", lambda route: route.fulfill(body="the client got its answer"))
    invitee.goto(f"{gateway_server}/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "state": "journey",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{gateway_server}/mcp",
        "scope": "spotify:read spotify:playback",
    }))
    invitee.wait_for_selector("#authorizationForm")
    invitee.uncheck("input[value='spotify:playback']")
    with invitee.expect_request(lambda request: request.url.startswith(REDIRECT_URI)) as answered:
        invitee.click("#allow")
    code = parse_qs(urlsplit(answered.value.url).query)["code"][0]
    tokens = httpx.post(f"{gateway_server}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "client_id": client_id,
        "code_verifier": verifier, "resource": f"{gateway_server}/mcp",
    }).json()
    assert tokens["scope"] == "spotify:read", tokens
    access = tokens["access_token"]

    # The client at work: a search is allowed, playback is not (the person unticked it).
    found = reply_of(modern_call(gateway_server, access, "tools/call", {"name": "search", "arguments": {"query": "a", "types": ["track"]}}))
    assert not found["result"].get("isError"), found
    refused = modern_call(gateway_server, access, "tools/call", {"name": "start_playback", "arguments": {}})
    assert refused.status_code == 403 and "insufficient_scope" in refused.headers["WWW-Authenticate"]

    # The invitee sees it on their Activity page; the admin in the audit list and its CSV export.
    activity = wait_for_rows(invitee, gateway_server + "/activity", ["search", "start_playback", "Journey client"])
    assert "search" in activity and "start_playback" in activity and "Journey client" in activity, activity
    sam = django_user_model.objects.get(username="sam")
    audit_list = wait_for_rows(admin, f"{gateway_server}/admin/mcpgateway/auditevent/?user__id__exact={sam.pk}", ["search"])
    assert "search" in audit_list and "start_playback" in audit_list
    with admin.expect_download() as download:
        admin.click("text=Export these events as CSV")
    csv_text = open(download.value.path(), encoding="utf-8").read()
    assert "sam" in csv_text and "search" in csv_text and "start_playback" in csv_text
    for secret in (access, tokens["refresh_token"], hashlib.sha256(access.encode()).hexdigest(), code, link.rsplit("/", 1)[1]):
        assert secret not in csv_text and secret not in activity and secret not in audit_list
    invitee.context.close()
