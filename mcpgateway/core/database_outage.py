"""What the gateway answers while its database is unreachable (restarted, failing over, out of
connections): 503 with Retry-After, in the format the caller reads (a page for a browser, JSON for
the REST API, a JSON-RPC error for /mcp), and one log line instead of a traceback per request.

Nothing has to be restarted afterwards: Django opens a new connection for the next request once the
broken one is closed (CONN_HEALTH_CHECKS in config/settings.py; /mcp's handler closes its own at its
next request, mcpgateway.mcp.handler).
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

MESSAGE = "The gateway's database is unreachable just now; try again in a few seconds."
RETRY_AFTER_SECONDS = 5


def is_database_outage(exc: BaseException | None) -> bool:
    """Django wraps the driver's "cannot connect", "server closed the connection" and "connection
    already closed" as these two."""
    return isinstance(exc, OperationalError | InterfaceError)


def note_outage(request, exc: BaseException) -> None:
    # The driver's message only: it names the host and port, never the password.
    logger.warning("Database unreachable: %s %s answered 503 (%s: %s)", request.method, request.path, type(exc).__name__,
                   str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "")


def unavailable(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Django logs every 5xx with its traceback unless the response says it was logged already.
    response._has_been_logged = True
    return response


def server_error(request, template_name: str = "500.html") -> HttpResponse:
    """ROOT_URLCONF's handler500: a database outage is a 503 page, anything else Django's 500.
    Called inside the `except` block of Django's handler, so sys.exc_info() is the exception."""
    exc = sys.exc_info()[1]
    if not is_database_outage(exc):
        return defaults.server_error(request, template_name)
    note_outage(request, exc)
    return unavailable(HttpResponse(render_to_string("503.html"), status=503))
