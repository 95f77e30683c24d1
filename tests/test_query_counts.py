"""The number of database queries of the hot views is pinned, so an N+1 or a query added to the
/mcp hot path is caught by CI, not by users.

/mcp: a warm tool call (credential, session and grant verified before) makes no query at all; its
caches are keyed by the revocation epoch (mcpgateway.core.revocation). Pages: a constant number of
queries whatever the number of rows."""

from __future__ import annotations

import asyncio
import secrets
import threading
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from django.db.backends import utils as db_utils
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, set_token_value

from accounts.models import PersonalAccessToken
from accounts.services import personal_access_token_create
from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.writer import THREAD_NAME as AUDIT_WRITER_THREAD
from mcpgateway.audit.writer import writer as audit_writer
from mcpgateway.mcp.models import McpSession, ToolPolicy
from tests.conftest import make_grant
from tests.mcpgateway.mcp.conftest import LEGACY, MODERN

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def counting_queries():
    """Every query of this process, on any thread's connection (the ORM calls of /mcp run in
    sync_to_async's threads, which Django's own assertNumQueries does not see)."""
    seen: list[str] = []
    originals = {cls: (cls.execute, cls.executemany) for cls in (db_utils.CursorWrapper, db_utils.CursorDebugWrapper)}

    def wrap(original):
        def counted(self, sql, *args, **kwargs):
            # The audit writer's thread writes tool-call rows off the request path, on its own timer.
            if threading.current_thread().name != AUDIT_WRITER_THREAD:
                seen.append(sql)
            return original(self, sql, *args, **kwargs)

        return counted

    for cls, (execute, executemany) in originals.items():
        cls.execute, cls.executemany = wrap(execute), wrap(executemany)
    try:
        yield seen
    finally:
        for cls, (execute, executemany) in originals.items():
            cls.execute, cls.executemany = execute, executemany


def warm_tool_call_queries(token: str, mode: str) -> list[str]:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    from config.asgi import application

    async def run():
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1:8000",
                                 headers={"Authorization": f"Bearer {token}", "Host": "127.0.0.1:8000"}, timeout=30)
        async with http, Client(streamable_http_client("http://127.0.0.1:8000/mcp", http_client=http), mode=mode) as client:
            first = await client.call_tool("get_currently_playing", {})
            assert not first.is_error, first
            with counting_queries() as seen:
                again = await client.call_tool("get_currently_playing", {})
            assert not again.is_error, again
            return seen

    return asyncio.run(run())


@pytest.mark.parametrize("mode", [MODERN])
def test_a_warm_mcp_tool_call_makes_no_database_query(emulator, person, mode):
    make_grant(emulator, person)
    ToolPolicy.objects.create(user=person, blocked_tools=["pause_playback"])  # policies are cached per epoch too
    _pat, token = personal_access_token_create(user=person, name="bench", scopes={"spotify:read"}, expires_in_days=None)
    assert warm_tool_call_queries(token, mode) == []
    # ... and both calls were audited all the same, written afterwards by the writer's thread.
    audit_writer.flush()
    calls = AuditEvent.objects.filter(kind=AuditEvent.Kind.TOOL_CALL, user=person, tool="get_currently_playing", outcome="ok")
    assert calls.count() == 2


def dashboard_queries(client, person, rows: int) -> int:
    for index in range(rows):
        pat, _ = personal_access_token_create(user=person, name=f"token {index}", scopes={"spotify:read"}, expires_in_days=30)
        McpSession.objects.create(user=person, kind=McpSession.Kind.SESSION, credential_id=f"pat:{pat.pk}",
                                  client_name=f"client {index}", protocol_version=LEGACY, last_seen_at=timezone.now(),
                                  expires_at=timezone.now() + timedelta(days=1))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_the_dashboard_makes_as_many_queries_for_ten_clients_as_for_one(client, emulator, person):
    make_grant(emulator, person)
    client.force_login(person)
    one = dashboard_queries(client, person, 1)
    eleven = dashboard_queries(client, person, 10)
    assert one == eleven
    assert PersonalAccessToken.objects.count() == 11


@pytest.mark.parametrize("path", [
    "/admin/mcpgateway/spotifygrant/", "/admin/mcpgateway/mcpsession/", "/admin/accounts/personalaccesstoken/",
    "/admin/mcpgateway/oauthauthorization/", "/admin/accounts/user/", "/admin/mcpgateway/toolpolicy/",
    "/admin/mcpgateway/auditevent/",
    "/admin/oauth2_provider/application/", "/admin/oauth2_provider/accesstoken/", "/admin/oauth2_provider/refreshtoken/",
])
def test_admin_lists_make_a_constant_number_of_queries(client, django_user_model, emulator, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = django_user_model.objects.create_superuser(username="root", password="a long and unusual password")
    client.force_login(admin)

    def add_people(count: int, start: int) -> None:
        from mcpgateway.audit.services import audit_record
        from mcpgateway.oauth.services import oauth_authorization_record
        from tests.mcpgateway.oauth.conftest import make_client

        for index in range(start, start + count):
            someone = django_user_model.objects.create_user(username=f"person{index}", password="x")
            make_grant(emulator, someone)
            pat, _ = personal_access_token_create(user=someone, name="t", scopes={"spotify:read"}, expires_in_days=None)
            McpSession.objects.create(user=someone, credential_id=f"pat:{pat.pk}", client_name="c", protocol_version=LEGACY)
            application = make_client(name=f"client {index}")
            oauth_authorization_record(user=someone, application=application, scopes={"spotify:read"},
                                       redirect_uri="http://127.0.0.1:43210/callback")
            ToolPolicy.objects.create(user=someone, blocked_tools=["remove_playlist_items"])
            audit_record(kind=AuditEvent.Kind.REVOCATION, user=someone, actor=admin, credential_id=f"pat:{pat.pk}")
            access = AccessToken(user=someone, application=application, scope="spotify:read", expires=timezone.now() + timedelta(hours=1))
            set_token_value(access, secrets.token_urlsafe(32))
            access.save()
            refresh = RefreshToken(user=someone, application=application, access_token=access)
            set_token_value(refresh, secrets.token_urlsafe(32))
            refresh.save()

    counts = []
    for count, start in ((1, 0), (9, 1)):
        add_people(count, start)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 1 row, {counts[1]} for 10"


@pytest.mark.parametrize("path", [
    "/api/clients", "/api/tokens", "/api/consents", "/api/admin/people", "/api/admin/grants", "/api/admin/clients",
    "/api/activity", "/api/admin/activity", "/api/admin/invitations",
])
def test_api_lists_make_a_constant_number_of_queries(django_user_model, emulator, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.services import invitation_accept, invitation_create
    from mcpgateway.oauth.services import oauth_authorization_record
    from tests.conftest import public_client
    from tests.mcpgateway.oauth.conftest import make_client

    admin = django_user_model.objects.create_user(username="ada", password="x", is_staff=True)
    _pat, token = personal_access_token_create(user=admin, name="script", scopes={"api"}, expires_in_days=None)
    api = public_client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/me").status_code == 200  # the token's "last used" is written now, not in a counted call

    def add_rows(count: int, start: int) -> None:
        for index in range(start, start + count):
            someone = django_user_model.objects.create_user(username=f"person{index}", password="x")
            make_grant(emulator, someone)
            for owner in (admin, someone):
                pat, _ = personal_access_token_create(user=owner, name=f"t{index}", scopes={"spotify:read"}, expires_in_days=None)
                McpSession.objects.create(user=owner, credential_id=pat.credential_id, client_name=f"c{index}", protocol_version=LEGACY)
                oauth_authorization_record(user=owner, application=make_client(name=f"client {index} {owner.pk}"),
                                           scopes={"spotify:read"}, redirect_uri="http://127.0.0.1:43210/callback")
            invitation_create(created_by=admin, role="member")  # open
            _used, invitation_token = invitation_create(created_by=admin, role="member")
            invitation_accept(token=invitation_token, username=f"invitee{index}", email=f"invitee{index}@example.com", password="x")

    counts = []
    for count, start in ((1, 0), (9, 1)):
        add_rows(count, start)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(path)
        assert response.status_code == 200, response.content
        assert len(response.json()["items"]) >= count
        counts.append(len(captured))
    assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 1 row, {counts[1]} for 10"
