"""Admin for people and their personal access tokens (token digests are never shown)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from mcpgateway.core.credentials import credential_revoke

from .models import PersonalAccessToken, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "spotify_status", "last_login")
    list_select_related = ("spotify_grant",)

    @admin.display(description="Spotify")
    def spotify_status(self, user: User) -> str:
        grant = getattr(user, "spotify_grant", None)
        return grant.get_status_display() if grant else "not connected"


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
