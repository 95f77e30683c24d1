"""The audit writer and the argument summary, on their own: bounded, never raising, nothing secret."""

import logging

import pytest
from django.db import connection

from accounts.services import PAT_PREFIX
from mcpgateway.audit import summary
from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.summary import summarise
from mcpgateway.audit.writer import AuditWriter


def row(tool: str, user_id=None) -> dict:
    return {"kind": AuditEvent.Kind.TOOL_CALL, "tool": tool, "outcome": "ok", "user_id": user_id}


def test_the_summary_keeps_ids_names_and_numbers_and_cuts_free_text():
    kept = summarise({
        "uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "limit": 5, "public": False, "volume": 0.5,
        "query": "x" * 500, "uris": [f"spotify:track:{i}" for i in range(25)], "nested": {"a": {"b": {"c": {"d": 1}}}},
    })
    assert kept["uri"] == "spotify:track:4uLU6hMCjMI75M1A2tKUQC" and kept["limit"] == 5 and kept["public"] is False
    assert len(kept["query"]) == summary.MAX_STRING
    assert len(kept["uris"]) == summary.MAX_ITEMS + 1 and kept["uris"][-1] == "… 15 more"
    assert kept["nested"] == {"a": {"b": "…"}}


def test_the_summary_never_keeps_a_secret():
    kept = summarise({"access_token": "spotify-secret", "Authorization": "Bearer x", "password": "hunter2",
                      "note": f"{PAT_PREFIX}abcdef", "client_secret": "s", "token": "t", "new_authorization": True, "token_name": "laptop"})
    assert kept == {"access_token": "[redacted]", "Authorization": "[redacted]", "password": "[redacted]",
                    "note": "[redacted]", "client_secret": "[redacted]", "token": "[redacted]", "new_authorization": True,
                    "token_name": "laptop"}
    assert summary.TOKEN_PREFIXES == (PAT_PREFIX,)


def test_a_full_buffer_drops_its_oldest_rows_and_says_so(settings, caplog, monkeypatch):
    settings.AUDIT_BUFFER_SIZE = 3
    settings.AUDIT_BATCH_SIZE = 100
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)  # no thread: this test flushes itself
    with caplog.at_level(logging.WARNING, logger="mcpgateway.audit.writer"):
        for index in range(5):
            writer.submit(row(f"tool{index}"))
    assert writer.dropped == 2 and writer.pending() == 3
    assert [fields["tool"] for fields, _ in writer._buffer] == ["tool2", "tool3", "tool4"]
    assert "Audit buffer full" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_failing_write_is_logged_and_never_raised(settings, caplog, monkeypatch, person):
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)
    writer.submit(row("get_devices", person.pk))

    def broken(execute, sql, params, many, context):
        if sql.startswith("INSERT") and AuditEvent._meta.db_table in sql:
            raise RuntimeError("the database is on fire")
        return execute(sql, params, many, context)

    with caplog.at_level(logging.WARNING, logger="mcpgateway.audit.writer"), connection.execute_wrapper(broken):
        assert writer.flush() == 0
    assert writer.failed == 1 and writer.pending() == 0
    assert "Could not write 1 audit row(s) (RuntimeError)" in caplog.text
    assert "on fire" not in caplog.text  # the error's text could quote row content: only its class is logged


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_written_as_multi_row_inserts_within_the_statement_limit(monkeypatch, person):
    """Not a statement a row: each row's statement gives the GIL back and waits for it, and on SQLite
    the batch's transaction holds the write lock every worker needs the whole time."""
    from mcpgateway.audit import writer as writer_module

    monkeypatch.setattr(writer_module, "ROWS_PER_INSERT", 2)
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)
    for index in range(5):
        writer.submit(row(f"tool{index}", person.pk))
    inserts = []

    def record(execute, sql, params, many, context):
        if sql.startswith("INSERT") and AuditEvent._meta.db_table in sql:
            inserts.append((many, len(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert writer.flush() == 5
    columns = len([field for field in AuditEvent._meta.concrete_fields if not field.primary_key])
    assert inserts == [(False, 2 * columns), (False, 2 * columns), (False, columns)]
    assert sorted(AuditEvent.objects.values_list("tool", flat=True)) == [f"tool{index}" for index in range(5)]


@pytest.mark.django_db(transaction=True)
def test_rows_of_a_person_deleted_meanwhile_keep_their_username(monkeypatch, django_user_model):
    gone = django_user_model.objects.create_user(username="gone")
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)
    writer.submit({**row("search", gone.pk), "username": "gone"})
    gone.delete()
    assert writer.flush() == 1
    event = AuditEvent.objects.get(tool="search")
    assert event.user_id is None and event.username == "gone"


@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_does_not_take_its_batch_with_it(monkeypatch, caplog, person):
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)
    writer.submit(row("fine_before", person.pk))
    writer.submit({**row("bad", person.pk), "duration_ms": -5})  # a PositiveIntegerField: refused by the CHECK
    writer.submit(row("fine_after", person.pk))
    with caplog.at_level(logging.WARNING, logger="mcpgateway.audit.writer"):
        assert writer.flush() == 2
    assert sorted(AuditEvent.objects.values_list("tool", flat=True)) == ["fine_after", "fine_before"]
    assert "Could not write 1 audit row(s)" in caplog.text


def test_what_a_client_sends_is_summarised_into_storable_json():
    kept = summarise({"bad\x00key": "nul\x00here", "surrogate": "\ud800x", "nan": float("nan"), "inf": float("inf"), "big": 2**70})
    assert kept == {"badkey": "nulhere", "surrogate": "x", "nan": "nan", "inf": "inf", "big": str(2**70)}


@pytest.mark.django_db
def test_flushing_from_another_thread_leaves_its_connection_and_transaction_alone(settings, monkeypatch, person):
    """The writer closes old connections on its own thread only: a caller (shutdown, the tests'
    reset) that flushes inside a transaction keeps it; closing it there would break the transaction."""
    from django.db import connection

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0  # "obsolete" at once, were it checked
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)
    writer.submit(row("search", person.pk))
    assert connection.in_atomic_block  # the test's own transaction
    assert writer.flush() == 1
    assert connection.connection is not None and not connection.needs_rollback
    assert AuditEvent.objects.filter(tool="search", user=person).count() == 1


def test_a_full_buffer_counts_what_it_dropped_inside_a_servers_event_loop_too(settings, monkeypatch):
    """Where tool calls are really buffered: on the server's loop (the writer remembers it)."""
    import asyncio

    settings.AUDIT_BUFFER_SIZE = 3
    settings.AUDIT_BATCH_SIZE = 100
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)

    async def calls():
        for index in range(5):
            writer.submit(row(f"tool{index}"))

    asyncio.run(calls())
    assert writer.dropped == 2 and writer.pending() == 3


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_only_writes_values_prepared_on_the_callers_thread_and_announces_on_the_loop(monkeypatch, person):
    """The writer's thread holds the GIL as little as it can: on a machine whose cores are busy, a
    thread descheduled while it holds the GIL stalls the server's loop (issue #12's tail). The rows'
    values are prepared where the call is recorded, and the dashboards' events built on the loop."""
    import asyncio
    import threading

    from mcpgateway.audit import writer as writer_module
    from mcpgateway.dashboard import events

    prepared_on, built_on = [], []
    prepare = writer_module._prepared
    monkeypatch.setattr(writer_module, "_prepared", lambda fields: prepared_on.append(threading.get_ident()) or prepare(fields))
    build = events._tool_calls_messages
    monkeypatch.setattr(events, "_tool_calls_messages", lambda rows: built_on.append(threading.get_ident()) or build(rows))
    writer = AuditWriter()
    monkeypatch.setattr(writer, "_ensure_thread", lambda: None)

    async def record_then_flush_from_another_thread():
        writer.submit(row("search", person.pk))
        written = await asyncio.to_thread(writer.flush)
        await asyncio.sleep(0.05)  # the announcement the flush handed to this loop
        return written

    assert asyncio.run(record_then_flush_from_another_thread()) == 1
    assert prepared_on == [threading.get_ident()] and built_on == [threading.get_ident()]
    assert AuditEvent.objects.filter(tool="search", user=person).count() == 1
