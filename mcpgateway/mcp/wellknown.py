"""OAuth 2.0 Protected Resource Metadata (RFC 9728) for /mcp, where MCP clients learn how to get a
token (MCP authorization spec, "Authorization Server Discovery")."""

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from mcpgateway.core.scopes import MCP_SCOPES


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
            "scopes_supported": sorted(MCP_SCOPES),
            "bearer_methods_supported": ["header"],
            "resource_name": "Spotify MCP gateway",
            "resource_documentation": f"{base}/",
        }
    )
    # Browser-based MCP clients read this document cross-origin.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- Discovery: the MCP Catalog and the Server Card (SEP-2127) ------------------------------------
# Where they live and what they hold: modelcontextprotocol/experimental-ext-server-card,
# docs/discovery.md. The catalog is the host-wide entry point; the card is at <mcp url>/server-card.

SERVER_CARD_SCHEMA = "https://static.modelcontextprotocol.io/schemas/v2/server-card.schema.json"
SERVER_CARD_MEDIA_TYPE = "application/mcp-server-card+json"
SERVER_CARD_PATH = "/mcp/server-card"


def _public_host() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"


def server_card_name() -> str:
    """The card's reverse-DNS name: gateway.example.com -> com.example.gateway/spotify (an IP
    address stays as it is)."""
    host = _public_host()
    labels = host.split(".")
    reverse = host if all(label.isdigit() for label in labels) or ":" in host else ".".join(reversed(labels))
    return f"{reverse}/spotify"


def _discovery_document(document: dict, *, content_type: str) -> HttpResponse:
    response = HttpResponse(json.dumps(document, indent=2), content_type=content_type)
    # Public, read-only metadata that browser-based clients fetch cross-origin (discovery.md, CORS).
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def mcp_catalog(request):
    """/.well-known/mcp/catalog.json: what a discovery tool that knows only the host fetches first."""
    return _discovery_document(
        {
            "specVersion": "draft",
            "entries": [
                {
                    "identifier": f"urn:air:{_public_host()}:spotify",
                    "displayName": "Spotify MCP gateway",
                    "type": SERVER_CARD_MEDIA_TYPE,
                    "url": settings.PUBLIC_BASE_URL + SERVER_CARD_PATH,
                }
            ],
        },
        content_type="application/json",
    )


@require_GET
def server_card(request):
    """<mcp url>/server-card: identity, the Streamable HTTP endpoint, its protocol versions, and
    that it needs a bearer token (OAuth, found through the protected resource metadata, or a
    personal access token). Advisory, as the spec says: the live connection is the authority."""
    from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS

    from mcpgateway.mcp.server import SERVER_VERSION

    base = settings.PUBLIC_BASE_URL
    return _discovery_document(
        {
            "$schema": SERVER_CARD_SCHEMA,
            "name": server_card_name(),
            "title": "Spotify MCP gateway",
            "description": "Your team's Spotify accounts for AI assistants: search, playback, playlists, library.",
            "version": SERVER_VERSION,
            "websiteUrl": f"{base}/",
            "remotes": [
                {
                    "type": "streamable-http",
                    "url": settings.OAUTH_RESOURCE,
                    "supportedProtocolVersions": list(SUPPORTED_PROTOCOL_VERSIONS),
                    "headers": [
                        {
                            "name": "Authorization",
                            "description": "An OAuth 2.1 access token (the client discovers the authorization "
                            "server from the protected resource metadata) or a personal access token from the dashboard.",
                            "isRequired": True,
                            "isSecret": True,
                            "value": "Bearer {token}",
                            "variables": {"token": {"description": "The access token.", "isRequired": True, "isSecret": True}},
                        }
                    ],
                }
            ],
            "_meta": {
                "spotify-mcp-gateway/authorization": {
                    "required": True,
                    "protectedResourceMetadata": f"{base}/.well-known/oauth-protected-resource/mcp",
                    "authorizationServers": [settings.OAUTH_ISSUER],
                    "scopesSupported": sorted(MCP_SCOPES),
                }
            },
        },
        content_type=SERVER_CARD_MEDIA_TYPE,
    )
