"""django-oauth-toolkit's scopes backend: the gateway scopes (mcpgateway.core.scopes), every one of them
requested when a client names none. Settings name this class, so they need not import app code."""

from oauth2_provider.scopes import BaseScopes

from mcpgateway.core.scopes import GATEWAY_SCOPES


class GatewayScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return dict(GATEWAY_SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return list(GATEWAY_SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return list(GATEWAY_SCOPES)
