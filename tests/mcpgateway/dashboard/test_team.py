"""The team page (/team) for team admins: each person's Spotify status, connected clients (linked to
their sessions in the admin, where they are revoked), last seen and latest tool call, and the team's
recent tool calls; server-rendered, made live by the dashboard's script (team view). Members get 403."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mcpgateway.audit.models import AuditEvent
from mcpgateway.mcp.models import McpSession
from tests.conftest import make_grant

pytestmark = pytest.mark.django_db


def person_row(page: str, username: str) -> str:
    rows = re.findall(r'<tr data-testid="team-person".*?</tr>', page, re.S)
    return next(row for row in rows if f"<td>{username}" in row)


def a_client(user, name: str, **fields) -> McpSession:
    return McpSession.objects.create(user=user, kind=McpSession.Kind.CONNECTION, credential_id=f"pat:{name}", client_name=name,
                                     last_seen_at=timezone.now(), **fields)


def a_tool_call(user, tool: str, *, minutes_ago: int = 0, outcome: str = "ok") -> AuditEvent:
    return AuditEvent.objects.create(kind=AuditEvent.Kind.TOOL_CALL, user=user, username=user.get_username(), tool=tool,
                                     outcome=outcome, client_name="Cursor", occurred_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_a_team_admin_sees_each_persons_spotify_clients_last_seen_and_tool_calls(admin_client, person, django_user_model, emulator):
    make_grant(emulator, person)
    quiet = django_user_model.objects.create_user(username="quiet", password="another long password")
    a_client(person, "Cursor")
    a_client(person, "Claude Code")
    a_client(person, "old one", revoked_at=timezone.now())
    a_client(person, "ended one", ended_at=timezone.now())
    a_tool_call(person, "search", minutes_ago=5)
    a_tool_call(person, "start_playback", outcome="error")
    a_tool_call(quiet, "get_devices", minutes_ago=10)

    page = admin_client.get("/team").content.decode()

    pat = person_row(page, "pat")
    assert "Connected" in pat and "start_playback</code> (error)" in pat
    assert re.search(rf'user__id__exact={person.pk}"[^>]*>2</a>', pat)  # two live clients, linked to the admin's list
    assert "Not connected" in person_row(page, "quiet") and ">0<" in person_row(page, "quiet")
    calls = re.findall(r'<tr data-testid="tool-call">.*?</tr>', page, re.S)
    assert [re.search(r"<code>(\w+)</code>", call).group(1) for call in calls] == ["start_playback", "search", "get_devices"]
    assert "<td>quiet</td>" in calls[2]
    assert 'data-live-view="team"' in page and "dashboard/live.js" in page


def test_members_get_403_on_the_team_page(client, person):
    client.force_login(person)
    assert client.get("/team").status_code == 403


def test_the_team_page_makes_as_many_queries_for_ten_people_as_for_one(admin_client, django_user_model):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/team").status_code == 200
        return len(captured)

    def add_person(index: int) -> None:
        someone = django_user_model.objects.create_user(username=f"person{index}", password="another long password")
        a_client(someone, f"client {index}")
        a_tool_call(someone, "search")

    add_person(0)
    one = queries()
    for index in range(1, 10):
        add_person(index)
    assert queries() == one


def test_the_dashboard_shows_the_persons_recent_tool_calls_and_no_one_elses(client, person, django_user_model):
    someone = django_user_model.objects.create_user(username="someone", password="another long password")
    a_tool_call(person, "search", minutes_ago=3)
    a_tool_call(person, "set_volume", outcome="refused")
    a_tool_call(someone, "get_devices")
    client.force_login(person)

    page = client.get("/").content.decode()

    section = page[page.index('id="tool-call-list"'):]
    calls = re.findall(r'<tr data-testid="tool-call">.*?</tr>', section, re.S)
    assert [re.search(r"<code>(\w+)</code>", call).group(1) for call in calls] == ["set_volume", "search"]
    assert "Refused" in calls[0] and "Cursor" in calls[0] and "<time" in calls[0]
    assert "data-live-section" in page[page.index('id="tool-call-list"') - 200:]
