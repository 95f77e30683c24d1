"""django-oauth-toolkit's scopes backend: the MCP scopes (mcpgateway.core.scopes; never `api`), every
one of them requested when a client names none. Settings name this class, so they need not import app code."""

from oauth2_provider.scopes import BaseScopes

from mcpgateway.core.scopes import MCP_SCOPES


class GatewayScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return dict(MCP_SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return list(MCP_SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return list(MCP_SCOPES)
