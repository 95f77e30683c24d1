"""The gateway's models, each defined beside its concept; imported here so Django registers them
under the `mcpgateway` app (its tables and migrations keep that label)."""

from mcpgateway.audit.models import AuditEvent
from mcpgateway.mcp.models import McpSession, ToolPolicy
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.spotify.models import SpotifyGrant

__all__ = ["AuditEvent", "McpSession", "OAuthAuthorization", "SpotifyGrant", "ToolPolicy"]
