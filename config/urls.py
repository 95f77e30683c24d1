from django.contrib import admin
from django.urls import include, path

from mcpgateway.health import healthz

admin.site.site_header = "Spotify MCP gateway"
admin.site.site_title = "Spotify MCP gateway admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("mcpgateway.urls")),
]
