from django.contrib import admin
from django.urls import include, path

from mcpgateway.health import healthz
from mcpgateway.mcp.api import api as mcp_api

admin.site.site_header = "Spotify MCP gateway"
admin.site.site_title = "Spotify MCP gateway admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    # OAuth authorization server for /mcp (django-oauth-toolkit): /oauth/* and its RFC 8414 metadata.
    path("", include("mcpgateway.oauth.urls")),
    # Before the ninja API: it adds an "api-root" view at "" that would shadow the dashboard.
    path("", include("mcpgateway.urls")),
    path("", mcp_api.urls),  # /mcp and its /.well-known metadata
]
