"""The URLconf of the MCP handler (mcpgateway.mcp.handler): the django-ninja API of /mcp alone.

ROOT_URLCONF holds every page, the admin and the OAuth endpoints before it; resolving /mcp
against this small list instead keeps routing cheap on the hot path.
"""

from django.urls import path

from mcpgateway.mcp.api import api

urlpatterns = [path("", api.urls)]
