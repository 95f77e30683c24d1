"""The live dashboard: a WebSocket per open dashboard page (/ws/dashboard, config/asgi.py), signed in
by the session cookie and origin-checked, passing on what changed for that person only."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import PersonalAccessToken
from config.asgi import application
from mcpgateway.core.credentials import credential_revoke
from mcpgateway.dashboard.consumers import CLOSE_NOT_SIGNED_IN
from mcpgateway.spotify.services import grant_disconnect
from tests.conftest import make_grant, make_personal_access_token

pytestmark = [pytest.mark.django_db(transaction=True)]

HOST = urlsplit(settings.PUBLIC_BASE_URL).netloc


class Page(ApplicationCommunicator):
    """A browser's WebSocket to the ASGI application (channels' WebsocketCommunicator, whose package
    needs daphne, minus what these tests do not use)."""

    def __init__(self, headers):
        super().__init__(application, {"type": "websocket", "path": "/ws/dashboard", "headers": headers, "subprotocols": [],
                                       "query_string": b"", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)})

    async def connect(self):
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(2)
        return answer["type"] == "websocket.accept", answer.get("code")

    async def receive_json_from(self, timeout=1):
        answer = await self.receive_output(timeout)
        assert answer["type"] == "websocket.send", answer
        return json.loads(answer["text"])

    async def disconnect(self):
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


def page_headers(user=None, *, origin: str | None = None) -> list:
    """What a browser sends when a page opens its socket: Host, Origin and (signed in) the session cookie."""
    headers = [(b"host", HOST.encode()), (b"origin", (origin or f"http://{HOST}").encode())]
    if user is not None:
        browser = Client()
        browser.force_login(user)
        headers.append((b"cookie", f"sessionid={browser.cookies['sessionid'].value}".encode()))
    return headers


def test_a_signed_in_person_hears_of_their_revocations_and_no_one_elses(person, django_user_model):
    someone = django_user_model.objects.create_user(username="someone", password="another long password")
    make_personal_access_token(person, name="laptop")
    make_personal_access_token(someone, name="theirs")
    mine = PersonalAccessToken.objects.get(user=person, name="laptop").credential_id
    theirs = PersonalAccessToken.objects.get(user=someone, name="theirs").credential_id

    headers = page_headers(person)

    async def scenario():
        page = Page(headers)
        connected, _ = await page.connect()
        assert connected
        await sync_to_async(credential_revoke)(credential_id=theirs)
        assert await page.receive_nothing(timeout=0.3)
        await sync_to_async(credential_revoke)(credential_id=mine)
        event = await page.receive_json_from(timeout=2)
        await page.disconnect()
        return event

    assert asyncio.run(scenario()) == {"kind": "client_revoked", "credential_id": mine}


def test_spotify_status_changes_reach_the_page(person, emulator):
    grant, _ = make_grant(emulator, person)

    headers = page_headers(person)

    async def scenario():
        page = Page(headers)
        assert (await page.connect())[0]
        await sync_to_async(grant_disconnect)(grant=grant)
        event = await page.receive_json_from(timeout=2)
        await page.disconnect()
        return event

    assert asyncio.run(scenario()) == {"kind": "spotify_status", "status": "disconnected"}


def test_no_session_no_socket(person):
    headers = page_headers()

    async def scenario():
        page = Page(headers)
        connected, code = await page.connect()
        return connected, code

    assert asyncio.run(scenario()) == (False, CLOSE_NOT_SIGNED_IN)


def test_another_origin_is_refused(person):
    headers = page_headers(person, origin="https://evil.example")

    async def scenario():
        page = Page(headers)
        connected, _code = await page.connect()
        return connected

    assert asyncio.run(scenario()) is False


def test_the_dashboard_page_loads_the_live_script_and_marks_rows(client, person):
    make_personal_access_token(person, name="laptop")
    client.force_login(person)
    page = client.get("/").content.decode()
    assert "dashboard/live.js" in page and 'data-testid="live-status"' in page
    assert f'data-credential="{PersonalAccessToken.objects.get(user=person).credential_id}"' in page


def test_a_client_connecting_over_mcp_reaches_the_page(person):
    """Over the same ASGI application, in this process: the first /mcp request of a client makes its
    row, and the person's open page hears of it."""
    from tests.mcpgateway.mcp.conftest import MODERN, MODERN_META, POST_HEADERS, rpc

    token = make_personal_access_token(person, name="laptop")
    credential_id = PersonalAccessToken.objects.get(user=person).credential_id
    headers = page_headers(person)
    body = json.dumps(rpc("tools/list", {"_meta": MODERN_META})).encode()
    mcp_headers = [(b"host", HOST.encode()), (b"authorization", f"Bearer {token}".encode()),
                   (b"mcp-protocol-version", MODERN.encode()), (b"mcp-method", b"tools/list"),
                   (b"content-length", str(len(body)).encode())]
    mcp_headers += [(name.lower().encode(), value.encode()) for name, value in POST_HEADERS.items()]

    async def scenario():
        page = Page(headers)
        assert (await page.connect())[0]
        request = ApplicationCommunicator(application, {
            "type": "http", "method": "POST", "path": "/mcp", "raw_path": b"/mcp", "query_string": b"", "headers": mcp_headers,
            "scheme": "http", "http_version": "1.1", "client": ("127.0.0.1", 50001), "server": ("127.0.0.1", 80)})
        await request.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await request.receive_output(5)
        event = await page.receive_json_from(timeout=5)
        await page.disconnect()
        return start["status"], event

    status, event = asyncio.run(scenario())
    assert status == 200
    assert event == {"kind": "client_connected", "credential_id": credential_id, "client_name": "pytest-client"}
