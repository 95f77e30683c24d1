from django.contrib import admin
from django.urls import include, path, re_path

from mcpgateway.api.api import api, unknown_path
from mcpgateway.core.health import healthz
from mcpgateway.mcp.wellknown import mcp_catalog, protected_resource_metadata, server_card

# A database outage is a 503 page, not a 500 (mcpgateway.core.database_outage).
handler500 = "mcpgateway.core.database_outage.server_error"

admin.site.site_header = "Spotify MCP gateway"
admin.site.site_title = "Spotify MCP gateway admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    # Single sign-on through the team's OpenID Connect provider (optional; 404 when not configured).
    path("oidc/", include("accounts.sso_urls")),
    # The REST API (mcpgateway.api): its endpoints, /api/docs and /api/openapi.json; JSON 404 for the rest.
    path("api/", api.urls),
    re_path(r"^api/", unknown_path),
    # OAuth authorization server for /mcp (django-oauth-toolkit): /oauth/* and its RFC 8414 metadata.
    path("", include("mcpgateway.oauth.urls")),
    path("", include("mcpgateway.spotify.urls")),
    path("", include("mcpgateway.dashboard.urls")),
    path("", include("mcpgateway.audit.urls")),
    # RFC 9728 metadata of /mcp. /mcp itself is not routed here: config/asgi.py hands it to the MCP
    # handler, which resolves it against mcpgateway.mcp.urls.
    path(".well-known/oauth-protected-resource/mcp", protected_resource_metadata),
    path(".well-known/oauth-protected-resource", protected_resource_metadata),
    # MCP discovery (SEP-2127): the host's catalog, and the card at <mcp url>/server-card.
    path(".well-known/mcp/catalog.json", mcp_catalog, name="mcp_catalog"),
    path("mcp/server-card", server_card, name="mcp_server_card"),
]
