"""Every /mcp tool call leaves an audit row (who, which client and session, the tool, its outcome
and why, how long it took, its arguments summarised), written by the worker's audit writer off the
call's path; a writer that cannot write never fails a call."""

import asyncio
import json

import pytest
from django.db import connection

from mcpgateway.audit.models import AuditEvent
from mcpgateway.mcp.models import McpSession
from tests.conftest import make_grant, make_personal_access_token
from tests.mcpgateway.mcp.conftest import MODERN, mcp_client
from tests.support.processes import GatewayProcesses

from .conftest import wait_for_events

pytestmark = [pytest.mark.django_db(transaction=True)]

LONG_QUERY = "a search query that goes on and on " * 10


async def calls(url, token, mode, *requests):
    async with mcp_client(f"{url}/mcp", token, mode=mode) as client:
        return [await client.call_tool(name, arguments) for name, arguments in requests]


@pytest.mark.parametrize("mode", ["legacy", MODERN])
def test_ok_spotify_error_and_refused_calls_are_recorded(emulator, start_gateway, person, mode):
    gateway = start_gateway()
    grant, minted = make_grant(emulator, person, spotify_user_id="carol")  # a free account: no playback control
    reader = make_personal_access_token(person, name="reader", scopes={"spotify:read"})
    everything = make_personal_access_token(person, name="everything")

    ok, searched, refused = asyncio.run(calls(
        gateway, reader, mode,
        ("get_currently_playing", {}), ("search", {"query": LONG_QUERY, "types": ["track"], "limit": 2}), ("pause_playback", {}),
    ))
    (premium,) = asyncio.run(calls(gateway, everything, mode, ("pause_playback", {})))
    emulator.set_faults(fail_next=1, fail_status=503, fail_scope="api")
    (unavailable,) = asyncio.run(calls(gateway, everything, mode, ("get_devices", {})))
    assert not ok.is_error and not searched.is_error
    assert refused.is_error and premium.is_error and unavailable.is_error

    rows = wait_for_events(5, kind=AuditEvent.Kind.TOOL_CALL, user=person)
    assert [(r.tool, r.outcome, r.reason) for r in rows] == [
        ("get_currently_playing", "ok", ""),
        ("search", "ok", ""),
        ("pause_playback", "refused", "gateway_scope"),
        ("pause_playback", "error", "premium_required"),
        ("get_devices", "error", "unavailable"),
    ]
    sessions = {str(s.id): s for s in McpSession.objects.filter(user=person)}
    for row in rows:
        assert row.username == person.username
        assert row.credential_id.startswith("pat:")
        assert row.session_id in sessions and row.client_name == sessions[row.session_id].client_name != ""
        assert row.duration_ms is not None and row.duration_ms >= 0
        assert row.ip_address == "127.0.0.1"
    # Arguments: kept, free text cut short.
    query = rows[1].summary["arguments"]["query"]
    assert query.startswith("a search query") and len(query) <= 64
    assert rows[1].summary["arguments"]["types"] == ["track"] and rows[1].summary["arguments"]["limit"] == 2
    # Nothing secret in any row: not the gateway tokens, not Spotify's.
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    for secret in (reader, everything, minted["access_token"], minted["refresh_token"]):
        assert secret not in stored


def test_a_broken_audit_writer_never_fails_a_call(emulator, person):
    make_grant(emulator, person, spotify_user_id="alice")
    token = make_personal_access_token(person)
    processes = GatewayProcesses()
    gateway = processes.start()
    try:
        with connection.cursor() as cursor:  # the writer's table is gone
            cursor.execute("ALTER TABLE mcpgateway_auditevent RENAME TO mcpgateway_auditevent_away")
        try:
            (during,) = asyncio.run(calls(gateway, token, MODERN, ("get_currently_playing", {})))
            assert not during.is_error
            import time

            time.sleep(2.5)  # the writer tried (and failed) to write that call's row
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE mcpgateway_auditevent_away RENAME TO mcpgateway_auditevent")
        (after,) = asyncio.run(calls(gateway, token, MODERN, ("get_devices", {})))
        assert not after.is_error
        rows = wait_for_events(1, kind=AuditEvent.Kind.TOOL_CALL, user=person)
        assert [r.tool for r in rows] == ["get_devices"]  # the writer carried on; the lost row is only counted
    finally:
        (output,) = processes.stop()
    assert "Could not write 1 audit row(s)" in output
    assert token not in output


def test_calls_are_recorded_with_auditing_on_by_default_and_not_when_turned_off(emulator, start_gateway, person):
    make_grant(emulator, person, spotify_user_id="alice")
    token = make_personal_access_token(person)
    gateway = start_gateway(AUDIT_TOOL_CALLS="0")
    (result,) = asyncio.run(calls(gateway, token, MODERN, ("get_currently_playing", {})))
    assert not result.is_error
    import time

    time.sleep(2)
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.TOOL_CALL).exists()


def test_rows_still_buffered_are_written_when_the_worker_stops(emulator, person):
    make_grant(emulator, person, spotify_user_id="alice")
    token = make_personal_access_token(person)
    processes = GatewayProcesses()
    gateway = processes.start(AUDIT_FLUSH_INTERVAL_SECONDS="600")  # the timer never fires in this test
    (result,) = asyncio.run(calls(gateway, token, MODERN, ("get_currently_playing", {})))
    assert not result.is_error
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.TOOL_CALL).exists()  # buffered, not written
    processes.stop()  # SIGTERM: uvicorn lets the call finish, then its lifespan shutdown flushes the writer
    assert [r.tool for r in AuditEvent.objects.filter(kind=AuditEvent.Kind.TOOL_CALL, user=person)] == ["get_currently_playing"]
