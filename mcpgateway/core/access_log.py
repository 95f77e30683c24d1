"""uvicorn's access log without query strings (config/asgi.py puts this filter on its logger), and
every log line's path arguments ("Bad Request: <path>", "Forbidden (CSRF ...): <path>") without the
secrets some paths carry (settings.LOGGING puts that filter on its handler, for every logger).

The rule is "never a query string", not "not for these paths": on this gateway query strings carry
Spotify authorization codes (/spotify/callback), PKCE challenges and state (/oauth/authorize), and
both again inside the sign-in page's ?next=, and any page a future change adds may carry more. The
method, path, status and client address are what an operator needs from an access log.

Two paths carry a secret in the path itself: an invitation link (/accounts/invitation/<token>) and
a password reset link (/accounts/reset/<uid>/<token>/); that part is replaced by "…".
"""

from __future__ import annotations

import logging
import re

SECRET_IN_PATH = re.compile(r"^(/accounts/invitation/|/accounts/reset/[^/]+/)(?!set-password/)[^/?]+")


def without_secrets(path: str) -> str:
    return SECRET_IN_PATH.sub(r"\1…", path.split("?", 1)[0])


class AccessLogWithoutQueryString(logging.Filter):
    """Cut the query string off the path of uvicorn's access records, which are logged as
    '%s - "%s %s HTTP/%s" %d' % (client address, method, path with query string, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, http_version, status = record.args
            record.args = (client, method, without_secrets(str(path)), http_version, status)
        elif "?" in record.getMessage() or "/accounts/" in record.getMessage():
            # Not the shape we know (another uvicorn version): keep the line, lose everything after "?"
            # or after a path that may hold a secret.
            record.msg, record.args = re.split(r"\?|/accounts/(?:invitation|reset)/", record.getMessage(), maxsplit=1)[0], ()
        return True


class RequestLogWithoutSecrets(logging.Filter):
    """Django logs a refused or failed request as "<reason>: <path>" (args: the path; django.request,
    django.security.csrf); an invitation or password reset link would put its token in the log. An
    argument that is a path loses its query string too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(without_secrets(arg) if isinstance(arg, str) and arg.startswith("/") else arg for arg in record.args)
        return True
