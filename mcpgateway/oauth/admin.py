"""Admin for the OAuth authorizations people gave MCP clients (mcpgateway.oauth.models)."""

from django.contrib import admin

from mcpgateway.audit.admin_logging import AuditedAdminMixin, log_admin_action
from mcpgateway.core.credentials import credential_revoke
from mcpgateway.oauth.models import OAuthAuthorization


@admin.register(OAuthAuthorization)
class OAuthAuthorizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Who approved which OAuth client for what. Revoking (or deleting) one revokes the client's
    tokens for good and closes its sessions; clients themselves are DOT's "Applications"."""

    list_display = ("application", "user", "scopes", "created_at", "revoked_at", "session")
    search_fields = ("user__username", "application__name", "application__client_id")
    list_select_related = ("application", "user", "session__user")
    readonly_fields = ("user", "application", "session", "scopes", "created_at")
    actions = ("revoke",)

    @admin.display(description="revoked")
    def revoked_at(self, authorization: OAuthAuthorization):
        return authorization.session.revoked_at

    @admin.action(description="Revoke the selected authorizations (their tokens stop; the person must approve again)")
    def revoke(self, request, queryset):
        authorizations = list(queryset.filter(session__revoked_at__isnull=True).select_related("session"))
        for authorization in authorizations:
            credential_revoke(credential_id=authorization.credential_id, revoked_by=request.user)
        log_admin_action(self, request, authorizations, "Revoked the authorization (admin action)")
        self.message_user(request, f"Revoked {len(authorizations)} authorization(s).")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
