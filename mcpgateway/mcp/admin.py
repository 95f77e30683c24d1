"""Admin for MCP sessions. Revoking one ends its credential (mcpgateway.core.credentials); deleting
a live row does the same through mcpgateway.core.signals."""

from django.contrib import admin
from django.utils import timezone

from mcpgateway.core.credentials import sessions_revoke
from mcpgateway.mcp.models import McpSession


class SessionActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("active", "Active"), ("revoked", "Revoked"), ("ended", "Ended by the client"), ("expired", "Expired"))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, ended_at__isnull=True).exclude(expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "ended":
            return queryset.filter(revoked_at__isnull=True, ended_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, ended_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(McpSession)
class McpSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "client_name", "client_version", "protocol_version", "credential_id", "created_at", "last_seen_at", "expires_at", "ended_at", "revoked_at", "revoked_by")
    list_filter = (SessionActiveFilter, "kind", "protocol_version", "client_name")
    search_fields = ("id", "user__username", "user__email", "client_name", "credential_id", "user_agent", "ip_address")
    list_select_related = ("user", "revoked_by")
    readonly_fields = [f.name for f in McpSession._meta.fields]
    date_hierarchy = "created_at"
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected sessions' credentials (every client of that token or OAuth authorization stops)")
    def revoke(self, request, queryset):
        count = sessions_revoke(sessions=queryset, revoked_by=request.user)
        self.message_user(request, f"Revoked {count} session(s), with the tokens and OAuth authorizations they used.")
