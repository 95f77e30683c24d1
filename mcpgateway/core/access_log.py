"""uvicorn's access log without query strings (config/asgi.py puts this filter on its logger).

The rule is "never a query string", not "not for these paths": on this gateway query strings carry
Spotify authorization codes (/spotify/callback), PKCE challenges and state (/oauth/authorize), and
both again inside the sign-in page's ?next=, and any page a future change adds may carry more. The
method, path, status and client address are what an operator needs from an access log.
"""

from __future__ import annotations

import logging


class AccessLogWithoutQueryString(logging.Filter):
    """Cut the query string off the path of uvicorn's access records, which are logged as
    '%s - "%s %s HTTP/%s" %d' % (client address, method, path with query string, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, http_version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], http_version, status)
        elif "?" in record.getMessage():
            # Not the shape we know (another uvicorn version): keep the line, lose everything after "?".
            record.msg, record.args = record.getMessage().split("?", 1)[0], ()
        return True
