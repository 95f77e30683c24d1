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

    def __init__(self, headers, query_string: bytes = b""):
        super().__init__(application, {"type": "websocket", "path": "/ws/dashboard", "headers": headers, "subprotocols": [],
                                       "query_string": query_string, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)})

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


# --- Recent tool calls: announced by the audit writer once their batch is written ---------------


def tool_call_row(user, tool: str, outcome: str = "ok", client_name: str = "Claude Code") -> dict:
    from django.utils import timezone

    return {"kind": "tool_call", "user_id": user.pk, "username": user.get_username(), "tool": tool, "outcome": outcome,
            "client_name": client_name, "occurred_at": timezone.now()}


def test_written_tool_calls_reach_the_persons_page_and_the_team_page_once_per_batch(person, django_user_model, monkeypatch):
    from mcpgateway.audit.writer import AuditWriter

    admin = django_user_model.objects.create_user(username="ada", password="another long password", is_staff=True)
    someone = django_user_model.objects.create_user(username="someone", password="another long password")
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)  # this test flushes, from another thread
    mine, theirs, team = page_headers(person), page_headers(someone), page_headers(admin)

    async def scenario():
        my_page, their_page, team_page = Page(mine), Page(theirs), Page(team, b"view=team")
        for page in (my_page, their_page, team_page):
            assert (await page.connect())[0]
        # Submitted here, on the server's loop, as the /mcp path does; written by another thread.
        writer.submit(tool_call_row(person, "search"))
        writer.submit(tool_call_row(person, "start_playback", outcome="error"))
        assert await sync_to_async(writer.flush)() == 2
        mine_event = await my_page.receive_json_from(timeout=2)
        assert await my_page.receive_nothing(timeout=0.3)  # one event for the batch
        assert await their_page.receive_nothing(timeout=0.3)
        team_event = await team_page.receive_json_from(timeout=2)
        for page in (my_page, their_page, team_page):
            await page.disconnect()
        return mine_event, team_event

    mine_event, team_event = asyncio.run(scenario())
    assert mine_event["kind"] == "tool_calls"
    assert [(call["tool"], call["outcome"], call["client_name"]) for call in mine_event["calls"]] == [
        ("start_playback", "error", "Claude Code"), ("search", "ok", "Claude Code")]
    assert "arguments" not in json.dumps(mine_event)  # what a page shows: never the arguments
    assert team_event["kind"] == "tool_calls" and {call["person_id"] for call in team_event["calls"]} == {person.pk}


def test_a_channel_layer_that_is_down_never_fails_the_write(person, monkeypatch, caplog):
    from channels import layers

    from mcpgateway.audit.models import AuditEvent
    from mcpgateway.audit.writer import AuditWriter

    class Down:
        async def group_send(self, group, message):
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(layers, "get_channel_layer", lambda *args: Down())
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)
    writer.submit(tool_call_row(person, "search"))
    assert writer.flush() == 1
    assert AuditEvent.objects.filter(user=person, tool="search").count() == 1
    assert "A dashboard event could not be sent: ConnectionError" in caplog.text


def test_a_channel_layer_failing_under_an_open_page_closes_it_with_a_log_line_not_a_traceback(person, monkeypatch, caplog):
    from channels.layers import get_channel_layer
    from redis.exceptions import TimeoutError as RedisTimeout

    from mcpgateway.dashboard.consumers import CLOSE_CHANNEL_LAYER_DOWN

    async def times_out(self, channel):
        await asyncio.sleep(0.05)
        raise RedisTimeout("Timeout reading from 127.0.0.1:6379")

    monkeypatch.setattr(type(get_channel_layer()), "receive", times_out)  # in memory, or Redis in the PostgreSQL run
    headers = page_headers(person)

    async def scenario():
        page = Page(headers)
        assert (await page.connect())[0]
        return await page.receive_output(2)

    assert asyncio.run(scenario()) == {"type": "websocket.close", "code": CLOSE_CHANNEL_LAYER_DOWN}
    assert "A dashboard socket was closed: the channel layer failed (TimeoutError)" in caplog.text
    assert "Traceback" not in caplog.text


# --- The team view: team admins only, everyone's events ------------------------------------------


def test_a_member_cannot_open_the_team_view(person):
    from mcpgateway.dashboard.consumers import CLOSE_NOT_TEAM_ADMIN

    headers = page_headers(person)

    async def scenario():
        page = Page(headers, b"view=team")
        return await page.connect()

    assert asyncio.run(scenario()) == (False, CLOSE_NOT_TEAM_ADMIN)


def test_the_team_view_hears_everyones_events_and_a_members_page_only_their_own(person, django_user_model):
    admin = django_user_model.objects.create_user(username="ada", password="another long password", is_staff=True)
    someone = django_user_model.objects.create_user(username="someone", password="another long password")
    make_personal_access_token(someone, name="theirs")
    theirs = PersonalAccessToken.objects.get(user=someone).credential_id
    member, team, admins_own = page_headers(person), page_headers(admin), page_headers(admin)

    async def scenario():
        member_page, team_page, admins_dashboard = Page(member), Page(team, b"view=team"), Page(admins_own)
        for page in (member_page, team_page, admins_dashboard):
            assert (await page.connect())[0]
        await sync_to_async(credential_revoke)(credential_id=theirs)
        event = await team_page.receive_json_from(timeout=2)
        assert await member_page.receive_nothing(timeout=0.3)
        assert await admins_dashboard.receive_nothing(timeout=0.3)  # an admin's own dashboard is theirs only
        for page in (member_page, team_page, admins_dashboard):
            await page.disconnect()
        return event

    assert asyncio.run(scenario()) == {"kind": "client_revoked", "credential_id": theirs, "person_id": someone.pk}


def test_an_admin_made_a_member_loses_the_team_view_at_once_and_keeps_their_own(person, django_user_model):
    from accounts.services import user_set_role
    from mcpgateway.dashboard.consumers import CLOSE_NOT_TEAM_ADMIN

    root = django_user_model.objects.create_superuser(username="root", password="x", email="")
    admin = django_user_model.objects.create_user(username="ada", password="another long password")
    user_set_role(user=admin, role="admin", changed_by=root)
    make_personal_access_token(person, name="laptop")
    theirs = PersonalAccessToken.objects.get(user=person).credential_id
    team, own = page_headers(admin), page_headers(admin)

    async def scenario():
        team_page, own_page = Page(team, b"view=team"), Page(own)
        assert (await team_page.connect())[0] and (await own_page.connect())[0]
        await sync_to_async(user_set_role)(user=await django_user_model.objects.aget(pk=admin.pk), role="member", changed_by=root)
        closed = await team_page.receive_output(2)
        await sync_to_async(credential_revoke)(credential_id=theirs)
        assert await own_page.receive_nothing(timeout=0.3)  # their own page stays open, and hears only theirs
        await own_page.disconnect()
        return closed

    assert asyncio.run(scenario()) == {"type": "websocket.close", "code": CLOSE_NOT_TEAM_ADMIN}


def test_a_deactivated_persons_open_page_is_closed(person):
    headers = page_headers(person)

    async def scenario():
        page = Page(headers)
        assert (await page.connect())[0]
        person.is_active = False
        await sync_to_async(person.save)()
        return await page.receive_output(2)

    assert asyncio.run(scenario()) == {"type": "websocket.close", "code": CLOSE_NOT_SIGNED_IN}
