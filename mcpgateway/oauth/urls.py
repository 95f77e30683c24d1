"""The authorization server's endpoints. The namespace is DOT's own ("oauth2_provider"): its
metadata view finds the endpoints by these names. The RFC 9728 protected-resource metadata is the
gateway's own view (mcpgateway.mcp.wellknown), served only for /mcp, never for any path."""

from django.urls import path
from oauth2_provider import views as dot_views

from . import views

app_name = "oauth2_provider"

urlpatterns = [
    path(".well-known/oauth-authorization-server", dot_views.OAuthServerMetadataView.as_view(), name="oauth-server-metadata"),
    path("oauth/authorize", views.GatewayAuthorizationView.as_view(), name="authorize"),
    path("oauth/token", views.GatewayTokenView.as_view(), name="token"),
    path("oauth/revoke", views.GatewayRevokeTokenView.as_view(), name="revoke-token"),
    path("oauth/register", views.GatewayRegistrationView.as_view(), name="dcr-register"),
    path(
        "oauth/register/<str:client_id>",
        views.GatewayRegistrationManagementView.as_view(),
        name="dcr-register-management",
    ),
]
