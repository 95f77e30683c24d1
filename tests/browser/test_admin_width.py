"""The admin's lists and a person's page fit a 1280 px wide window without scrolling sideways (the
page, or the box of a list's table), with
rows as they come in use (Debian's chromium, the gateway served by uvicorn)."""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, set_token_value

from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.services import oauth_authorization_record
from mcpgateway.spotify.models import SpotifyGrant
from tests.browser.test_dashboard import browser_page, gateway_server  # noqa: F401 (fixtures)
from tests.conftest import make_grant, make_personal_access_token
from tests.mcpgateway.oauth.conftest import make_client

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
PAGES = [
    "/admin/", "/admin/accounts/user/", "/admin/accounts/personalaccesstoken/", "/admin/mcpgateway/spotifygrant/",
    "/admin/mcpgateway/mcpsession/", "/admin/mcpgateway/oauthauthorization/", "/admin/oauth2_provider/application/",
    "/admin/oauth2_provider/accesstoken/", "/admin/oauth2_provider/refreshtoken/",
]


def people_in_use(emulator, django_user_model, count: int = 3):
    people = []
    for index in range(count):
        someone = django_user_model.objects.create_user(
            username=f"someone.with.a.long.name{index}", email=f"someone.with.a.long.name{index}@example.com", password="x")
        grant, _ = make_grant(emulator, someone)
        SpotifyGrant.objects.filter(pk=grant.pk).update(
            status=SpotifyGrant.Status.NEEDS_RECONNECT,
            last_error="Spotify refused the refresh token (invalid_grant: Refresh token revoked); the person must reconnect",
        )
        make_personal_access_token(someone, name="the laptop script that plays the morning playlist")
        application = make_client(name=f"Claude Desktop on a long-named laptop {index}")
        authorization = oauth_authorization_record(user=someone, application=application, scopes={"spotify:read", "spotify:playback"},
                                                   redirect_uri="http://127.0.0.1:43210/callback")
        access = AccessToken(user=someone, application=application, scope="spotify:read spotify:playback",
                             expires=timezone.now() + timedelta(hours=1), resource=["http://127.0.0.1:8000/mcp"])
        set_token_value(access, secrets.token_urlsafe(32))
        access.save()
        refresh = RefreshToken(user=someone, application=application, access_token=access)
        set_token_value(refresh, secrets.token_urlsafe(32))
        refresh.save()
        McpSession.objects.create(user=someone, kind=McpSession.Kind.SESSION, credential_id=authorization.credential_id,
                                  client_name="Visual Studio Code Insiders (GitHub Copilot agent mode)", client_version="1.107.0-insider",
                                  protocol_version="2025-11-25", last_seen_at=timezone.now())
        people.append(someone)
    return people


def test_the_admin_fits_1280_pixels(gateway_server, browser_page, emulator, django_user_model):  # noqa: F811
    people = people_in_use(emulator, django_user_model)
    django_user_model.objects.create_superuser(username="root", password="an admin's long password", email="root@example.com")
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(gateway_server + "/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "an admin's long password")
    page.click("input[type=submit]")
    page.wait_for_url(gateway_server + "/admin/")

    too_wide = {}
    for path in [*PAGES, f"/admin/accounts/user/{people[0].pk}/change/"]:
        response = page.goto(gateway_server + path)
        assert response.status == 200, path
        width = page.evaluate("document.scrollingElement.scrollWidth")
        # The changelist's table sits in a box that scrolls on its own (Django's `.results`), which
        # the document's width does not show: it must not scroll either.
        boxes = page.evaluate("Array.from(document.querySelectorAll('.results, .module, fieldset'))"
                              ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => [e.className, e.scrollWidth, e.clientWidth])")
        if width > WIDTH or boxes:
            too_wide[path] = (width, boxes)
    assert too_wide == {}
