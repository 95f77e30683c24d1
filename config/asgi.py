"""ASGI entry point: Django behind uvicorn (or any ASGI server).

/mcp (and any MCP_EXTRA_ENDPOINTS path) goes to a lean ASGI handler without settings.MIDDLEWARE
(see mcpgateway.mcp.handler): the MCP hot path pays no sync-middleware thread hops. Everything else
takes the full stack and ROOT_URLCONF, where /mcp is not routed at all. Both read request bodies
within a size and a time limit (mcpgateway.core.request_body): the site's is REQUEST_MAX_BODY_BYTES, /mcp's
MCP_MAX_REQUEST_BODY_BYTES.
"""

import logging
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from mcpgateway.core.request_body import RequestBodyLimits, oauth_style_refusal  # noqa: E402

django_application = RequestBodyLimits(
    get_asgi_application(), max_bytes=lambda: settings.REQUEST_MAX_BODY_BYTES, refusal=oauth_style_refusal
)

from mcpgateway.core.access_log import AccessLogWithoutQueryString  # noqa: E402

# uvicorn has set its loggers up (its defaults, --log-config, --no-access-log) before importing this
# module; the filter goes on its access logger as it is, in every worker, whatever those flags were.
logging.getLogger("uvicorn.access").addFilter(AccessLogWithoutQueryString())

from mcpgateway.mcp.api import MCP_PATHS  # noqa: E402
from mcpgateway.mcp.handler import McpASGIHandler  # noqa: E402

mcp_application = McpASGIHandler()


# The live dashboard (issue #11): a WebSocket per open dashboard page, signed in by the session
# cookie, from an allowed origin only (mcpgateway/dashboard/consumers.py).
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from mcpgateway.core.lifespan import lifespan  # noqa: E402
from mcpgateway.dashboard.consumers import DashboardConsumer  # noqa: E402

websocket_application = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter([path("ws/dashboard", DashboardConsumer.as_asgi())]))
)


from mcpgateway.core.metrics_endpoint import METRICS_PATH, metrics_application  # noqa: E402
from mcpgateway.core.request_ids import RequestIdMiddleware  # noqa: E402


async def route(scope, receive, send):
    if scope["type"] == "lifespan":  # uvicorn --lifespan on: at shutdown, buffered audit rows are written
        await lifespan(scope, receive, send)
    elif scope["type"] == "http" and scope["path"] in MCP_PATHS:
        await mcp_application(scope, receive, send)
    elif scope["type"] == "http" and scope["path"] == METRICS_PATH:
        # Before Django: a scraper uses an internal address, no allowed host (mcpgateway.core.metrics_endpoint).
        await metrics_application(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)


if settings.SERVE_STATIC:
    # The single-machine run has no separate static server; this only looks at /static/ paths.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    route = ASGIStaticFilesHandler(route)

# Every request, /mcp included, has a request id: in its log lines and tasks, and in X-Request-ID.
application = RequestIdMiddleware(route)
