"""The URLconf of the MCP handler (mcpgateway.mcp.handler): the django-ninja API of /mcp alone.

/mcp is routed here only, never through ROOT_URLCONF: config/asgi.py hands its paths to the MCP
handler, and this short list keeps routing cheap on the hot path.
"""

from django.urls import path

from mcpgateway.mcp.api import api

urlpatterns = [path("", api.urls)]
