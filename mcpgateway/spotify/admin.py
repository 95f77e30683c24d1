"""Admin for Spotify grants: read-only; refreshing and disconnecting go through the services. Token
fields are never shown."""

from django.contrib import admin, messages

from mcpgateway.audit.admin_logging import AuditedAdminMixin, log_admin_action
from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.selectors import ending_soon_q
from mcpgateway.spotify.services import GrantNeedsReconnect, GrantRefreshFailed, grant_disconnect, grant_refresh


class EndingSoonFilter(admin.SimpleListFilter):
    """Active grants within SPOTIFY_GRANT_EXPIRY_WARNING_DAYS of Spotify's six months."""

    title = "connection ends"
    parameter_name = "ends"

    def lookups(self, request, model_admin):
        return (("soon", "Soon (people are warned)"),)

    def queryset(self, request, queryset):
        return queryset.filter(ending_soon_q()) if self.value() == "soon" else queryset


@admin.register(SpotifyGrant)
class SpotifyGrantAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "display_name", "status", "last_refreshed_at", "access_token_expires_at", "product", "last_error")
    list_filter = ("status", EndingSoonFilter, ("user", admin.RelatedOnlyFieldListFilter), "product")
    search_fields = ("user__username", "user__email", "spotify_user_id", "display_name")
    list_select_related = ("user",)
    ordering = ("user__username",)
    # An allow-list, so a new token column can never appear here by accident.
    fields = (
        "user", "spotify_user_id", "display_name", "product", "status", "scopes",
        "access_token_expires_at", "consented_at", "last_refreshed_at", "last_error", "last_error_at",
        "refresh_failures", "next_refresh_attempt_at", "expiry_notice_sent_at", "reconnect_notice_sent_at",
        "created_at", "updated_at",
    )
    readonly_fields = fields
    actions = ("refresh_now", "disconnect")

    def has_add_permission(self, request):
        return False  # grants come from a person connecting Spotify, never typed in

    def has_change_permission(self, request, obj=None):
        return False  # read-only: changes go through the actions, which keep the invariants

    @admin.action(description="Refresh the Spotify token now")
    def refresh_now(self, request, queryset):
        done = failed = 0
        for grant in queryset.filter(status=SpotifyGrant.Status.ACTIVE):
            try:
                grant_refresh(grant=grant)
                done += 1
                log_admin_action(self, request, [grant], "Refreshed the Spotify token (admin action)")
            except (GrantNeedsReconnect, GrantRefreshFailed) as exc:
                failed += 1
                log_admin_action(self, request, [grant], "Tried to refresh the Spotify token; it failed (admin action)")
                self.message_user(request, f"{grant.user}: {exc}", messages.WARNING)
        skipped = queryset.count() - done - failed
        self.message_user(request, f"Refreshed {done} grant(s); {failed} failed; {skipped} not active, skipped.")

    @admin.action(description="Disconnect (forget the Spotify tokens)")
    def disconnect(self, request, queryset):
        grants = list(queryset.exclude(status=SpotifyGrant.Status.DISCONNECTED))
        for grant in grants:
            grant_disconnect(grant=grant)
        log_admin_action(self, request, grants, "Disconnected Spotify (admin action)")
        self.message_user(request, f"Disconnected {len(grants)} grant(s).")
