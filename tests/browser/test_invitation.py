"""Onboarding in a real browser (Debian's chromium via Playwright) against a uvicorn worker: an admin
creates an invitation on the team page; the invitee, in a browser of their own, opens the link,
creates their account, lands on the dashboard and connects Spotify at the emulator."""

import pytest

from mcpgateway.spotify.models import SpotifyGrant
from tests.browser.test_dashboard import browser_page, gateway_server  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_an_invitee_signs_up_and_connects_spotify(gateway_server, browser_page, django_user_model):  # noqa: F811
    django_user_model.objects.create_superuser(username="root", password="an admin password 123", email="")
    admin = browser_page
    admin.goto(gateway_server + "/accounts/login/")
    admin.fill("#id_username", "root")
    admin.fill("#id_password", "an admin password 123")
    admin.click("button[type=submit]")
    admin.wait_for_selector("[data-testid=spotify-status]")
    admin.click("header >> text=Team")
    admin.click("text=Invite someone")
    admin.fill("#invitation-note", "Sam")
    admin.fill("#invitation-domains", "example.com")
    admin.click("#create-invitation")
    link = admin.input_value("[data-testid=invitation-link]")
    assert link.startswith(gateway_server + "/accounts/invitation/smgi_")

    invitee = admin.context.browser.new_context().new_page()
    invitee.set_default_timeout(15_000)
    invitee.goto(link)
    assert "invited as a member" in invitee.inner_text("[data-testid=invitation-role]")
    invitee.fill("#id_username", "sam")
    invitee.fill("#id_email", "sam@example.com")
    invitee.fill("#id_password1", "a long and unusual password")
    invitee.fill("#id_password2", "a long and unusual password")
    invitee.click("#create-account")
    invitee.wait_for_url(gateway_server + "/")
    assert "Welcome, sam" in invitee.inner_text(".messages")
    assert invitee.inner_text("[data-testid=spotify-status]") == "Not connected"

    invitee.click("#connect-spotify")
    invitee.wait_for_selector("#agree")  # the emulator's consent page
    invitee.locator("input[name=user_id]").first.check()
    invitee.click("#agree")
    invitee.wait_for_url(gateway_server + "/")
    grant = SpotifyGrant.objects.get(user__username="sam")
    assert invitee.inner_text("[data-testid=spotify-status]") == f"Connected as {grant.display_name}"

    admin.goto(gateway_server + "/team/invitations")
    assert "used by sam" in admin.inner_text("[data-testid=invitation-status]")
    invitee.context.close()
