"""Request ids: one per HTTP request, on every log line written while serving it, returned as
`X-Request-ID`, and carried into the Celery tasks sent meanwhile (and their log lines).

A request id comes from the client's or the proxy's `X-Request-ID` when it is a plausible id (1 to
REQUEST_ID_MAX_LENGTH characters of letters, digits and `-_.:@+=`: it is written into log lines, so
no spaces, quotes or control characters that could forge or break one); otherwise the gateway makes
one (32 hex digits, `new_request_id`). It lives in a context variable: asgiref copies it into the
thread a sync view runs in, and uvicorn writes its access line from the request's own task, so
both see it.
"""

from __future__ import annotations

import contextvars
import logging
import random
import re

REQUEST_ID_HEADER = b"x-request-id"
REQUEST_ID_MAX_LENGTH = 128
_VALID = re.compile(r"[A-Za-z0-9\-_.:@+=]{1,%d}" % REQUEST_ID_MAX_LENGTH)
# The Celery message header that carries the id into a task (before_task_publish, task_prerun).
TASK_HEADER = "gateway_request_id"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("gateway_request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    """128 random bits as 32 hex digits. From `random`, not uuid4: an id needs to be unique, not
    unpredictable, and uuid4 reads os.urandom, a system call that gives the GIL back on every
    request (a chance for another thread to keep the event loop waiting). `random` is seeded from
    the system's entropy in every process and reseeded in a forked one (Celery's pool)."""
    return f"{random.getrandbits(128):032x}"


def accepted_request_id(value: bytes | str | None) -> str:
    """The client's id if it is a plausible one, else a new one."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value and _VALID.fullmatch(value):
        return value
    return new_request_id()


class RequestIdMiddleware:
    """ASGI: sets the request id for the request (HTTP and WebSocket) and returns it on the response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        sent = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                sent = value
                break
        request_id = accepted_request_id(sent)
        token = _current.set(request_id)
        header = (REQUEST_ID_HEADER, request_id.encode("latin-1"))

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Puts `request_id` on every record a handler writes ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get() or "-"
        return True


# --- Celery ----------------------------------------------------------------------------------------


def add_request_id_to_task(headers=None, **kwargs) -> None:
    """before_task_publish: a task sent while serving a request carries the request's id."""
    request_id = _current.get()
    if request_id is not None and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def enter_task(task=None, **kwargs) -> None:
    """task_prerun: the task's log lines carry the id of the request that sent it, or the task's
    own id for a task nobody's request sent (the beat's)."""
    request = getattr(task, "request", None)
    sent = getattr(request, TASK_HEADER, None) or ((getattr(request, "headers", None) or {}).get(TASK_HEADER))
    task_id = getattr(request, "id", None)
    _current.set(accepted_request_id(sent) if sent else (str(task_id) if task_id else new_request_id()))


def leave_task(**kwargs) -> None:
    """task_postrun: a thread of the worker's pool serves the next task without this one's id."""
    _current.set(None)
