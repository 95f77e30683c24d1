"""Django admin for Spotify grants and MCP sessions. Token fields are never shown.

Every revoking action here ends a credential (mcpgateway.credentials); deleting a token, an
authorization or a live session row does the same through mcpgateway.signals."""

from django.contrib import admin, messages
from django.utils import timezone

from .credentials import credential_revoke, sessions_revoke
from .models import McpSession, OAuthAuthorization, PersonalAccessToken, SpotifyGrant
from .spotify.services import GrantNeedsReconnect, GrantRefreshFailed, grant_disconnect, grant_refresh


@admin.register(SpotifyGrant)
class SpotifyGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "spotify_user_id", "status", "access_token_expires_at", "last_refreshed_at", "last_error")
    list_filter = ("status", "product")
    search_fields = ("user__username", "user__email", "spotify_user_id", "display_name")
    list_select_related = ("user",)
    ordering = ("user__username",)
    # An allow-list, so a new token column can never appear here by accident.
    fields = (
        "user", "spotify_user_id", "display_name", "product", "status", "scopes",
        "access_token_expires_at", "consented_at", "last_refreshed_at", "last_error", "last_error_at",
        "refresh_failures", "next_refresh_attempt_at", "created_at", "updated_at",
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
            except (GrantNeedsReconnect, GrantRefreshFailed) as exc:
                failed += 1
                self.message_user(request, f"{grant.user}: {exc}", messages.WARNING)
        skipped = queryset.count() - done - failed
        self.message_user(request, f"Refreshed {done} grant(s); {failed} failed; {skipped} not active, skipped.")

    @admin.action(description="Disconnect (forget the Spotify tokens)")
    def disconnect(self, request, queryset):
        grants = list(queryset.exclude(status=SpotifyGrant.Status.DISCONNECTED))
        for grant in grants:
            grant_disconnect(grant=grant)
        self.message_user(request, f"Disconnected {len(grants)} grant(s).")


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


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "token_prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "token_prefix", "user__username", "user__email")
    list_select_related = ("user",)
    # The digest is left out too: it is not the token, but nobody needs to see it.
    fields = ("user", "name", "token_prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False  # tokens are created by their owner, who alone sees the plaintext

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            credential_revoke(credential_id=token.credential_id, revoked_by=request.user)
        self.message_user(request, f"Revoked {len(tokens)} token(s).")


@admin.register(OAuthAuthorization)
class OAuthAuthorizationAdmin(admin.ModelAdmin):
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
        self.message_user(request, f"Revoked {len(authorizations)} authorization(s).")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
