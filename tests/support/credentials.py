"""Checking that a credential works, or has stopped, the way clients meet it: real requests to
real gateway workers, in both MCP eras, under any client name, and at the OAuth token endpoint."""

from __future__ import annotations

import secrets
from html.parser import HTMLParser

import httpx
import pytest
from django.conf import settings

from tests.conftest import public_client
from tests.mcpgateway.mcp.conftest import MODERN, POST_HEADERS, bearer, initialize_params, legacy_call, legacy_session, rpc
from tests.mcpgateway.oauth.conftest import authorize_url, exchange, pkce_pair, redirect_query
from tests.support.processes import GatewayProcesses


@pytest.fixture(scope="module")
def two_workers(django_db_setup, django_db_blocker):
    """Two workers of one deployment for the module's tests. They are the resource this test
    process issues OAuth tokens for (PUBLIC_BASE_URL), so both accept its tokens."""
    processes = GatewayProcesses()
    try:
        yield processes.start(PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL), processes.start(PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL)
    finally:
        processes.stop()


@pytest.fixture
def admin_browser(django_user_model):
    """A superuser signed in to the admin."""
    admin = django_user_model.objects.create_superuser(username="root", password="an admin password 123", email="")
    client = public_client()
    client.force_login(admin)
    return client


def modern_call(base: str, token: str, *, client_name: str) -> httpx.Response:
    """A 2026-07-28 `tools/list` from a client calling itself `client_name`."""
    return httpx.post(
        f"{base}/mcp",
        json=rpc("tools/list", {"_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": client_name, "version": "1"},
        }}),
        headers={**POST_HEADERS, **bearer(token), "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"},
    )


def legacy_initialize(base: str, token: str, *, client_name: str) -> httpx.Response:
    return httpx.post(f"{base}/mcp", json=rpc("initialize", initialize_params(client_name)), headers={**POST_HEADERS, **bearer(token)})


def use_everywhere(bases, token: str, *, client_name: str = "Claude") -> tuple[str, str]:
    """Use the credential on every worker (so each has it verified and cached): a 2025-11-25
    session opened on the first and used on all, a 2026-07-28 connection used on all. Returns
    (session id, connection row id)."""
    session_id = legacy_session(bases[0], token, name=client_name)
    for base in bases:
        assert legacy_call(base, token, session_id, "tools/list", {}).status_code == 200
        modern = modern_call(base, token, client_name=f"{client_name} (2026)")
        assert modern.status_code == 200, modern.text
    from mcpgateway.mcp.models import McpSession

    credential_id = McpSession.objects.get(pk=session_id).credential_id
    connection_id = McpSession.objects.get(kind=McpSession.Kind.CONNECTION, credential_id=credential_id).pk
    return session_id, str(connection_id)


def assert_refused_everywhere(bases, token: str, *, session_ids=()) -> None:
    """Every request with this credential is refused on every worker: both eras, a known client
    name and a brand new one, and its 2025-11-25 sessions (404 or 401, docs/mcp-endpoint.md)."""
    for base in bases:
        for client_name in ("Claude", "Claude (2026)", f"renamed-{secrets.token_hex(3)}"):
            modern = modern_call(base, token, client_name=client_name)
            assert modern.status_code == 401, (base, client_name, modern.status_code, modern.text[:300])
            legacy = legacy_initialize(base, token, client_name=client_name)
            assert legacy.status_code == 401, (base, client_name, legacy.status_code, legacy.text[:300])
        for session_id in session_ids:
            response = legacy_call(base, token, session_id, "tools/list", {})
            assert response.status_code in (401, 404), (base, session_id, response.status_code, response.text[:300])


def assert_works(base: str, token: str) -> None:
    assert modern_call(base, token, client_name="Claude").status_code == 200


def refresh_at(base: str, client_id: str, refresh_token: str) -> httpx.Response:
    return httpx.post(f"{base}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id})


def assert_refresh_refused(bases, client_id: str, refresh_token: str) -> None:
    for base in bases:
        response = refresh_at(base, client_id, refresh_token)
        assert response.status_code in (400, 401), (base, response.status_code, response.text[:300])
        # invalid_client once the client itself was deleted (RFC 6749 §5.2)
        assert response.json()["error"] in ("invalid_grant", "invalid_client"), response.text


def approve_again(browser, app) -> dict:
    """The person authorizes the client once more (the consent page if it is asked for)."""
    verifier, challenge = pkce_pair()
    url = authorize_url(app, challenge)
    page = browser.get(url)
    if page.status_code == 200:
        fields = {k: v for k, v in page.context["form"].initial.items() if v is not None}
        page = browser.post(url, {**fields, "allow": "Authorize"})
    response = exchange(browser, app, redirect_query(page)["code"], verifier)
    assert response.status_code == 200, response.content
    return response.json()


def assert_reapproval_revives_nothing(bases, browser, app, old_tokens: dict, *, consent_asked: bool) -> None:
    """The person approves the client again (asked again, when `consent_asked`): the new tokens
    work, the old ones stay dead."""
    _verifier, challenge = pkce_pair()
    assert (browser.get(authorize_url(app, challenge)).status_code == 200) is consent_asked
    fresh = approve_again(browser, app)
    assert_refused_everywhere(bases, old_tokens["access_token"])
    assert_refresh_refused(bases, app.client_id, old_tokens["refresh_token"])
    for base in bases:
        assert_works(base, fresh["access_token"])


def admin_action(admin, changelist: str, name: str, selected) -> None:
    """Tick rows on a changelist, choose the action, press Go (and confirm, if it asks)."""
    response = admin.post(changelist, {"action": name, "_selected_action": [str(pk) for pk in selected], "index": "0"})
    if response.status_code == 200:  # an intermediate confirmation page ("Are you sure?")
        response = admin.post(changelist, form_fields(response.content.decode(), having="post"))
    assert response.status_code == 302, response.content.decode()[:2000]


def admin_delete(admin, object_url: str) -> None:
    """The object's Delete button, then "Yes, I'm sure" on the confirmation page."""
    page = admin.get(object_url + "delete/")
    assert page.status_code == 200
    fields = form_fields(page.content.decode(), having="post")
    assert fields.get("post") == "yes", fields
    response = admin.post(object_url + "delete/", fields)
    assert response.status_code == 302, response.content.decode()[:2000]


class _FormParser(HTMLParser):
    """Every form of a page: its attributes and the fields a browser would submit."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[dict, list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._fields = []
            self.forms.append((attrs, self._fields))
        if self._fields is None:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._fields.append((attrs["name"], attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self._fields.append((self._select, attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._fields = None


def form_fields(html: str, *, form_id: str | None = None, having: str | None = None) -> dict[str, str | list[str]]:
    """What a browser submits from the page's form with this id, or the first with a field `having`."""
    parser = _FormParser()
    parser.feed(html)
    for attrs, fields in parser.forms:
        if (form_id is None or attrs.get("id") == form_id) and (having is None or any(name == having for name, _ in fields)):
            break
    else:
        raise AssertionError(f"no such form on the page: id={form_id} having={having}")
    data: dict[str, str | list[str]] = {}
    for name, value in fields:
        if name in data:
            data[name] = [*([data[name]] if isinstance(data[name], str) else data[name]), value]
        else:
            data[name] = value
    return data
