"""A second Django ASGI handler for the MCP hot path: Django's routing, exception handling and
logging, but none of settings.MIDDLEWARE.

Those middlewares (sessions, CSRF, messages, ...) are sync-capable `MiddlewareMixin` classes: under
ASGI each one costs a thread hop per request, and /mcp needs none of them (bearer tokens, no cookies,
no templates). `MCP_MIDDLEWARE` lists what /mcp gets instead; keep it to async-capable middleware.
"""

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.test.utils import override_settings


class McpASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        with override_settings(MIDDLEWARE=list(settings.MCP_MIDDLEWARE)):
            super().load_middleware(is_async=is_async)
