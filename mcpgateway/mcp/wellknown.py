"""OAuth 2.0 Protected Resource Metadata (RFC 9728) for /mcp, where MCP clients learn how to get a
token (MCP authorization spec, "Authorization Server Discovery")."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from mcpgateway.core.scopes import GATEWAY_SCOPES


@require_GET
def protected_resource_metadata(request):
    """Served only at the two paths of /mcp (config/urls.py; DOT's own view would answer for any
    path under the prefix).
    `resource` and the issuer are the very strings the authorization server uses (settings)."""
    base = settings.PUBLIC_BASE_URL
    response = JsonResponse(
        {
            "resource": settings.OAUTH_RESOURCE,
            "authorization_servers": [settings.OAUTH_ISSUER],
            "scopes_supported": sorted(GATEWAY_SCOPES),
            "bearer_methods_supported": ["header"],
            "resource_name": "Spotify MCP gateway",
            "resource_documentation": f"{base}/",
        }
    )
    # Browser-based MCP clients read this document cross-origin.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response
