"""Request ids (mcpgateway.core.request_ids) and the JSON log line (mcpgateway.core.log_format)."""

from __future__ import annotations

import json
import logging
import os
import re

import pytest

from mcpgateway.core.log_format import GatewayJsonFormatter
from mcpgateway.core.request_ids import (
    TASK_HEADER,
    RequestIdLogFilter,
    _current,
    accepted_request_id,
    add_request_id_to_task,
    enter_task,
    leave_task,
    new_request_id,
)

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("sent", ["abc", "lb-7f3a:9@edge", "A" * 128, "0a1b2c3d-0000-4000-8000-000000000000", "trace=1+2.x_y"])
def test_a_plausible_id_is_kept(sent):
    assert accepted_request_id(sent) == sent
    assert accepted_request_id(sent.encode()) == sent


@pytest.mark.parametrize("sent", [None, "", "a" * 129, "with space", 'quo"te', "new\nline", "tab\there", "é", "a,b", "{json}", "\x00"])
def test_anything_else_gets_a_new_id(sent):
    assert NEW_ID.fullmatch(accepted_request_id(sent))


def test_a_new_id_costs_no_system_call(monkeypatch):
    # uuid4 read os.urandom: a system call that gave the GIL back on every request.
    def refuse(size):
        raise AssertionError("os.urandom read for a request id")

    monkeypatch.setattr(os, "urandom", refuse)
    ids = {accepted_request_id(None) for _ in range(1000)}
    assert len(ids) == 1000 and all(NEW_ID.fullmatch(made) for made in ids)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # the child only writes a line
def test_a_forked_process_makes_ids_of_its_own():
    # Celery's prefork pool: a child must not repeat the ids its parent goes on to make.
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(writer, new_request_id().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    childs = os.read(reader, 64).decode()
    os.close(reader)
    assert NEW_ID.fullmatch(childs) and childs != new_request_id()


def record(message="hello %s", args=("world",), **extra) -> logging.LogRecord:
    made = logging.LogRecord("mcpgateway.test", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_has_the_fields_and_the_request_id():
    token = _current.set("req-1")
    try:
        line = record()
        RequestIdLogFilter().filter(line)
    finally:
        _current.reset(token)
    data = json.loads(GatewayJsonFormatter().format(line))
    assert data["message"] == "hello world" and data["request_id"] == "req-1"
    assert data["level"] == "INFO" and data["logger"] == "mcpgateway.test" and isinstance(data["pid"], int)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", data["timestamp"])


def test_a_json_line_leaves_out_what_a_library_attached():
    """django.request attaches the request, whose repr carries the query string (codes, state)."""

    class Request:
        def __repr__(self):
            return "<ASGIRequest: GET '/spotify/callback?code=secret-code&state=secret-state'>"

    line = record(request=Request(), color_message="x", status_code=400)
    RequestIdLogFilter().filter(line)
    text = GatewayJsonFormatter().format(line)
    assert "secret" not in text and "color_message" not in text
    assert json.loads(text)["status_code"] == 400 and json.loads(text)["request_id"] == "-"


def test_a_task_carries_the_id_of_the_request_that_sent_it():
    headers: dict = {}
    token = _current.set("req-9")
    try:
        add_request_id_to_task(headers=headers)
    finally:
        _current.reset(token)
    assert headers == {TASK_HEADER: "req-9"}

    class Task:
        class request:
            id = "task-1"

    Task.request.gateway_request_id = "req-9"
    enter_task(task=Task)
    assert _current.get() == "req-9"
    leave_task()
    assert _current.get() is None
    del Task.request.gateway_request_id
    enter_task(task=Task)  # the beat's task: its own id
    assert _current.get() == "task-1"
    leave_task()


def test_outside_a_request_no_header_is_added():
    headers: dict = {}
    add_request_id_to_task(headers=headers)
    assert headers == {}


def test_every_logger_s_path_arguments_lose_their_secrets():
    """A CSRF refusal of a password reset link: django.security.csrf, not only django.request
    (found by tests/journey/test_no_secret_in_logs.py)."""
    handler = next(h for h in logging.getLogger().handlers if any(type(f).__name__ == "RequestLogWithoutSecrets" for f in h.filters))
    line = logging.LogRecord("django.security.csrf", logging.WARNING, __file__, 1, "Forbidden (%s): %s",
                             ("CSRF cookie not set.", "/accounts/reset/MQ/secret-reset-token/"), None)
    handler.filter(line)
    assert line.getMessage() == "Forbidden (CSRF cookie not set.): /accounts/reset/MQ/…/"
