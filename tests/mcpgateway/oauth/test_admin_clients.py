"""A client an admin pre-registers in the admin's Application form (over HTTP, with the admin's own
buttons), then used by a real MCP client (the SDK's OAuthClientProvider, told the client id and
secret instead of registering) through sign-in, Spotify, consent and tool calls on /mcp."""

from __future__ import annotations

import asyncio
import re
from html import unescape

import pytest
from mcp.shared.auth import OAuthClientInformationFull
from oauth2_provider.models import Application

from tests.mcpgateway.oauth.browser import Browser
from tests.mcpgateway.oauth.test_end_to_end import CALLBACK, PASSWORD, MemoryStorage, assert_playing, provider, use_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def form_fields(html: str) -> dict[str, str]:
    """What a browser would submit from the page's form as it stands."""
    form = re.search(r'<form[^>]*id="application_form".*?</form>', html, re.S).group(0)
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        kind = (re.search(r'type="([^"]*)"', tag) or [None, "text"])[1]
        if not name or (kind in ("checkbox", "radio") and "checked" not in tag) or kind == "submit":
            continue
        fields[unescape(name.group(1))] = unescape(value.group(1)) if value else ("on" if kind == "checkbox" else "")
    for name, body in re.findall(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = unescape(body.strip())
    for name, body in re.findall(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        fields[name] = selected.group(1) if selected else ""
    return fields


@pytest.fixture
def oauth_gateway(emulator, start_gateway):
    return start_gateway()


@pytest.mark.parametrize("client_type, auth_method", [("confidential", "client_secret_basic"), ("confidential", "client_secret_post"),
                                                      ("public", "none")])
def test_a_client_the_admin_pre_registered_signs_a_person_in_and_calls_tools(oauth_gateway, emulator, person, django_user_model,
                                                                             client_type, auth_method):
    django_user_model.objects.create_superuser(username="admin", password="an admin's long password")
    admin = Browser(oauth_gateway, "admin", "an admin's long password", accounts_url=emulator.accounts_url)
    try:
        admin.sign_in(f"{oauth_gateway}/admin/login/?next=/admin/")
        page = admin.http.get(f"{oauth_gateway}/admin/oauth2_provider/application/add/")
        assert page.status_code == 200, page.text[:300]
        fields = form_fields(page.text)
        client_id, client_secret = fields["client_id"], fields["client_secret"]  # shown once, copied before saving
        assert client_id and len(client_secret) > 30
        fields.update(name="Team assistant", client_type=client_type, authorization_grant_type="authorization-code",
                      redirect_uris=CALLBACK, _save="Save")
        saved = admin.http.post(f"{oauth_gateway}/admin/oauth2_provider/application/add/", data=fields)
        assert saved.status_code == 302, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', saved.text, re.S)
    finally:
        admin.close()
    application = Application.objects.get(client_id=client_id)
    assert application.registration_source == Application.RegistrationSource.MANUAL
    assert application.client_secret != client_secret  # stored hashed

    browser = Browser(oauth_gateway, person.get_username(), PASSWORD, accounts_url=emulator.accounts_url)
    storage = MemoryStorage()
    storage.client_info = OAuthClientInformationFull(
        client_id=client_id, client_secret=client_secret if client_type == "confidential" else None,
        token_endpoint_auth_method=auth_method, redirect_uris=[CALLBACK],
        grant_types=["authorization_code", "refresh_token"], response_types=["code"],
    )
    auth = provider(oauth_gateway, browser, storage)
    try:
        first = asyncio.run(use_gateway(oauth_gateway, auth, "legacy", pick=0))
        auth.context.token_expiry_time = 1.0  # the client refreshes with its credentials too
        again = asyncio.run(use_gateway(oauth_gateway, auth, "legacy", pick=1))
    finally:
        browser.close()
    assert "Team assistant" in browser.pages[0]
    assert first.identity["username"] == again.identity["username"] == person.get_username()
    assert first.identity["credential"] == "oauth"
    assert "search" in first.tools
    assert_playing(emulator, person, again.played)
    assert Application.objects.count() == 1  # nothing registered on the side
