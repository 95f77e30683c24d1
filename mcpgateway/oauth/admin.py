"""The admin of OAuth: the clients (django-oauth-toolkit's Applications) with the people who
authorized them, those people's authorizations (mcpgateway.oauth.models), and read-only views of
the tokens. django-oauth-toolkit's own admins are replaced: no token value, checksum or client
secret is ever shown, registration access tokens (RFC 7592) are kept out of the access tokens,
and authorization codes and ID tokens (short-lived, or unused: the gateway issues no ID tokens)
have no admin page at all."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from oauth2_provider import admin as dot_admin  # registers DOT's admins first, so they can be replaced
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.settings import oauth2_settings

from mcpgateway.audit.admin_logging import AuditedAdminMixin, log_admin_action
from mcpgateway.core.admin_display import (
    ACTIVE,
    EXPIRED,
    REVOKED,
    CredentialStatusFilter,
    admin_link,
    credential_status,
    status_badge,
)
from mcpgateway.core.credentials import credential_revoke
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.oauth.selectors import oauth_authorizations_with_last_seen

Application = get_application_model()
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

for _model in (Application, AccessToken, RefreshToken, get_grant_model(), get_id_token_model()):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

PERSON_FILTER = ("user", admin.RelatedOnlyFieldListFilter)
CLIENT_FILTER = ("application", admin.RelatedOnlyFieldListFilter)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the OAuth flows write: admins look, and act only through the actions."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Authorizations ---------------------------------------------------------------------------


class AuthorizationStatusFilter(CredentialStatusFilter):
    revoked_field = "session__revoked_at"
    expires_field = None


@admin.register(OAuthAuthorization)
class OAuthAuthorizationAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    """Who approved which OAuth client for what. Revoking (or deleting) one revokes the client's
    tokens for good and closes its sessions."""

    list_display = ("user", "application", "status", "last_seen", "scopes", "created_at")
    list_filter = (AuthorizationStatusFilter, PERSON_FILTER, CLIENT_FILTER)
    search_fields = ("user__username", "user__email", "application__name", "application__client_id")
    list_select_related = ("application", "user", "session")
    fields = ("user", "application", "status", "scopes", "redirect_uri", "created_at", "last_seen", "session")
    readonly_fields = fields
    actions = ("revoke",)

    def get_queryset(self, request):
        return oauth_authorizations_with_last_seen(super().get_queryset(request))

    @admin.display(description="status")
    def status(self, authorization: OAuthAuthorization):
        return status_badge(credential_status(revoked_at=authorization.session.revoked_at, expires_at=None))

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, authorization: OAuthAuthorization):
        return authorization.last_seen_at or "never"

    @admin.action(description="Revoke the selected authorizations (their tokens stop; the person must approve again)")
    def revoke(self, request, queryset):
        authorizations = list(queryset.filter(session__revoked_at__isnull=True).select_related("session"))
        for authorization in authorizations:
            credential_revoke(credential_id=authorization.credential_id, revoked_by=request.user)
        log_admin_action(self, request, authorizations, "Revoked the authorization (admin action)")
        self.message_user(request, f"Revoked {len(authorizations)} authorization(s).")


class ApplicationPeopleInline(admin.TabularInline):
    """The people who authorized a client, on its page (read-only; revoke in the authorizations)."""

    model = OAuthAuthorization
    fk_name = "application"
    verbose_name = "person who authorized this client"
    verbose_name_plural = "people who authorized this client"
    fields = ("person", "status", "last_seen", "scopes", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return oauth_authorizations_with_last_seen(super().get_queryset(request).select_related("user", "session"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="person")
    def person(self, authorization: OAuthAuthorization):
        return admin_link(authorization.user)

    @admin.display(description="status")
    def status(self, authorization: OAuthAuthorization):
        return status_badge(credential_status(revoked_at=authorization.session.revoked_at, expires_at=None))

    @admin.display(description="last seen")
    def last_seen(self, authorization: OAuthAuthorization):
        return authorization.last_seen_at or "never"


# --- Clients ------------------------------------------------------------------------------------


class GatewayApplicationForm(dot_admin.ApplicationForm):
    """DOT's form (the secret is shown once, on the add page, to be copied); on an existing client
    the stored secret (a hash) is never rendered: a new value rotates it, an empty one keeps it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "client_secret" in self.fields:
            self.initial["client_secret"] = ""
            self.fields["client_secret"].required = False
            self.fields["client_secret"].help_text = (
                "Never shown. To rotate it, enter a new secret and copy it before saving; leave empty to keep it."
            )

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret")
        if self.instance.pk and not secret:
            return type(self.instance).objects.values_list("client_secret", flat=True).get(pk=self.instance.pk)
        return secret


@admin.register(Application)
class ApplicationAdmin(dot_admin.ApplicationAdmin):
    """MCP clients: registered by themselves (DCR, CIMD) or by an admin (the add button)."""

    form = GatewayApplicationForm
    list_display = ("name", "client_id", "registration_source", "people", "last_used", "client_type", "created")
    list_display_links = ("name", "client_id")
    list_filter = ("registration_source", "client_type")
    search_fields = ("name", "client_id")
    inlines = (ApplicationPeopleInline,)

    def get_queryset(self, request):
        authorizations = OAuthAuthorization.objects.filter(application=OuterRef("pk")).order_by().values("application")
        return super().get_queryset(request).annotate(
            people_count=Coalesce(Subquery(
                authorizations.filter(session__revoked_at__isnull=True).annotate(n=Count("user", distinct=True)).values("n")
            ), 0),
            # Any client of any of its authorizations: their own rows and their 2025-11-25 sessions.
            last_used_at=Subquery(
                McpSession.objects.filter(
                    credential_id__in=OAuthAuthorization.objects.filter(application=OuterRef(OuterRef("pk"))).values("session__credential_id"),
                    last_seen_at__isnull=False,
                ).order_by("-last_seen_at").values("last_seen_at")[:1]
            ),
        )

    @admin.display(description="people", ordering="people_count")
    def people(self, application):
        return application.people_count

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, application):
        return application.last_used_at or "never"


# --- Tokens -------------------------------------------------------------------------------------


class AccessTokenStatusFilter(CredentialStatusFilter):
    """Revoking deletes an access token (the gateway's and DOT's revocation), so none is revoked."""

    def lookups(self, request, model_admin):
        return ((ACTIVE, "Active"), (EXPIRED, "Expired"))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == ACTIVE:
            return queryset.filter(expires__gt=now)
        if self.value() == EXPIRED:
            return queryset.filter(expires__lte=now)
        return queryset


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    """Read-only. The token is stored as a checksum only, and neither is shown. Registration access
    tokens (RFC 7592: they manage a client's registration, they grant no person's access) are left out."""

    list_display = ("user", "application", "status", "created", "expires", "scope")
    list_filter = (AccessTokenStatusFilter, PERSON_FILTER, CLIENT_FILTER)
    search_fields = ("user__username", "user__email", "application__name", "application__client_id")
    list_select_related = ("user", "application")
    fields = ("user", "application", "status", "scope", "resource", "created", "expires")
    readonly_fields = fields
    actions = ("revoke_tokens",)

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(scope=oauth2_settings.DCR_REGISTRATION_SCOPE)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: it ends the whole token family (DOT's reasoning)

    @admin.display(description="status")
    def status(self, token):
        return status_badge(credential_status(revoked_at=None, expires_at=token.expires))

    @admin.action(description="Revoke selected access tokens")
    def revoke_tokens(self, request, queryset):
        tokens = list(queryset)
        for token in tokens:
            dot_admin.revoke_access_token(token)
        self.message_user(request, f"Revoked {len(tokens)} access token(s).")


class RefreshTokenStatusFilter(CredentialStatusFilter):
    revoked_field = "revoked"
    expires_field = None

    def lookups(self, request, model_admin):
        return ((ACTIVE, "Active"), (REVOKED, "Revoked or rotated"), (EXPIRED, "Expired"))

    def queryset(self, request, queryset):
        live = queryset.filter(revoked__isnull=True)
        delta = refresh_token_expire_timedelta()
        dead = Q(access_token__isnull=True)
        if delta:
            dead |= Q(access_token__expires__lte=timezone.now() - delta)
        if self.value() == ACTIVE:
            return live.exclude(dead)
        if self.value() == REVOKED:
            return queryset.filter(revoked__isnull=False)
        if self.value() == EXPIRED:
            return live.filter(dead)
        return queryset


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyAdmin):
    """Read-only; neither the token nor its checksum is shown. Revoked ones are kept (rotation and
    DOT's reuse protection need them), so most rows of a long-lived client read "revoked"."""

    list_display = ("user", "application", "status", "created", "revoked")
    list_filter = (RefreshTokenStatusFilter, PERSON_FILTER, CLIENT_FILTER)
    search_fields = ("user__username", "user__email", "application__name", "application__client_id")
    list_select_related = ("user", "application", "access_token")
    fields = ("user", "application", "status", "created", "revoked", "token_family")
    readonly_fields = fields
    actions = ("revoke_tokens",)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: a revoked row is what recognises a replay

    @admin.display(description="status")
    def status(self, token):
        if token.revoked is not None:
            return status_badge(REVOKED)
        delta = refresh_token_expire_timedelta()
        if token.access_token is None or (delta and token.access_token.expires + delta <= timezone.now()):
            return status_badge(EXPIRED)
        return status_badge(ACTIVE)

    @admin.action(description="Revoke selected refresh tokens")
    def revoke_tokens(self, request, queryset):
        tokens = list(queryset)
        for token in tokens:
            token.revoke()
        self.message_user(request, f"Revoked {len(tokens)} refresh token(s).")
