"""Admin for people, their invitations and their personal access tokens (token digests are never
shown). A person's page shows, read-only and linked, everything they connected: their Spotify grant,
the OAuth clients they authorized, their MCP sessions, personal access tokens and recent activity.
Team admins who are not superusers use it through the "Team admins" group (accounts.roles): they
see and change people, but not superuser status, groups or permissions, nor a superuser."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from mcpgateway.audit.admin_logging import AuditedAdminMixin, log_admin_action
from mcpgateway.audit.models import AuditEvent
from mcpgateway.core.admin_display import (
    CredentialStatusFilter,
    admin_link,
    changelist_link,
    credential_status,
    status_badge,
)
from mcpgateway.core.credentials import credential_revoke
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.oauth.selectors import oauth_authorizations_with_last_seen

from .models import Invitation, PersonalAccessToken, User
from .services import INVITATION_MAX_DAYS, invitation_create, invitation_revoke, user_set_role

# A person's page lists this many of their latest sessions and audit events; links lead to the rest.
PERSON_PAGE_SESSIONS = 20
PERSON_PAGE_EVENTS = 10


def _table(headers: tuple[str, ...], rows) -> str:
    rows = list(rows)
    if not rows:
        return "none"
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    body = format_html_join("", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows))
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "email", "role", "spotify_status", "spotify_allowlisted", "is_active", "must_change_password", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "spotify_allowlisted", "spotify_grant__status", "must_change_password")
    list_select_related = ("spotify_grant",)
    actions = ("make_admin", "make_member", "mark_spotify_allowlisted", "unmark_spotify_allowlisted")
    connection_fields = ("spotify_grant_summary", "oauth_clients", "mcp_sessions", "personal_access_tokens", "recent_activity")
    # The role changes only through the actions (accounts.services.user_set_role), which keep the
    # "Team admins" group in step with is_staff.
    readonly_fields = ("role", "is_staff", "last_login", "date_joined", *connection_fields)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role and access", {"fields": ("role", "is_active", "must_change_password", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")

    @admin.display(description="Spotify")
    def spotify_status(self, user: User) -> str:
        grant = getattr(user, "spotify_grant", None)
        return grant.get_status_display() if grant else "not connected"

    @admin.display(description="Role")
    def role(self, user: User) -> str:
        return "admin (superuser)" if user.is_superuser else "admin" if user.is_staff else "member"

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        if not request.user.is_superuser:
            fieldsets = [
                (name, {**options, "fields": tuple(field for field in options["fields"] if field not in self.SUPERUSER_ONLY_FIELDS)})
                for name, options in fieldsets
            ]
        # What an admin comes for first, right under the name: their Spotify and their connections.
        return [
            fieldsets[0],
            ("Spotify", {"fields": ("spotify_allowlisted",)}),
            ("Connections (read-only)", {"fields": self.connection_fields}),
            *fieldsets[1:],
        ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # nor its password: Django's password page asks this too
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change and obj.has_usable_password():
            # The admin knows this password: the person chooses their own at first sign-in.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the form's groups first
        obj = form.instance
        if obj.is_superuser and not obj.is_staff and obj.pk != request.user.pk:
            # A superuser is a team admin (accounts.roles), and the admin's doors open on is_staff.
            user_set_role(user=obj, role=Invitation.Role.ADMIN, changed_by=request.user)

    def user_change_password(self, request, id, form_url=""):
        """The admin's "set password" page for someone else: that person, too, then chooses their own."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and str(id) != str(request.user.pk):
            user = User.objects.get(pk=id)
            if user.has_usable_password():
                User.objects.filter(pk=id).update(must_change_password=True)
        return response

    def _set_role(self, request, queryset, role: str):
        changed = []
        for user in queryset:
            try:
                user_set_role(user=user, role=role, changed_by=request.user)
            except ValueError as exc:
                self.message_user(request, f"{user.get_username()}: {exc}", messages.ERROR)
            else:
                changed.append(user.get_username())
        if changed:
            self.message_user(request, f"Now {role}: {', '.join(changed)}.", messages.SUCCESS)

    @admin.action(description="Make admin", permissions=["change"])
    def make_admin(self, request, queryset):
        self._set_role(request, queryset, Invitation.Role.ADMIN)

    @admin.action(description="Make member", permissions=["change"])
    def make_member(self, request, queryset):
        self._set_role(request, queryset, Invitation.Role.MEMBER)

    def _set_allowlisted(self, request, queryset, allowlisted: bool):
        people = list(queryset.exclude(spotify_allowlisted=allowlisted))
        queryset.filter(pk__in=[person.pk for person in people]).update(spotify_allowlisted=allowlisted)
        what = "allow-listed" if allowlisted else "not allow-listed"
        log_admin_action(self, request, people, f"Marked as {what} in Spotify's developer dashboard (admin action)")
        self.message_user(request, f"Marked {len(people)} person(s) as {what} in Spotify's developer dashboard.")

    @admin.action(description="Mark as Spotify allow-listed (added in Spotify's developer dashboard)")
    def mark_spotify_allowlisted(self, request, queryset):
        self._set_allowlisted(request, queryset, True)

    @admin.action(description="Unmark Spotify allow-listed")
    def unmark_spotify_allowlisted(self, request, queryset):
        self._set_allowlisted(request, queryset, False)

    @admin.display(description="Spotify grant")
    def spotify_grant_summary(self, user: User):
        grant = getattr(user, "spotify_grant", None)
        if grant is None:
            return "not connected"
        return format_html(
            "{} as {} (last refreshed {}){}", admin_link(grant, grant.get_status_display()), grant.display_name or grant.spotify_user_id,
            _when(grant.last_refreshed_at), f"; last problem: {grant.last_error}" if grant.last_error else "",
        )

    @admin.display(description="OAuth clients")
    def oauth_clients(self, user: User):
        authorizations = oauth_authorizations_with_last_seen(OAuthAuthorization.objects.filter(user=user).select_related("application", "session"))
        return _table(("client", "status", "last seen", "scopes", "approved"), (
            (admin_link(a, a.application.name or a.application.client_id),
             status_badge(credential_status(revoked_at=a.session.revoked_at, expires_at=None)),
             _when(a.last_seen_at), a.scopes, _when(a.created_at))
            for a in authorizations
        ))

    @admin.display(description="MCP sessions")
    def mcp_sessions(self, user: User):
        sessions = McpSession.objects.filter(user=user).order_by("-created_at")[:PERSON_PAGE_SESSIONS]
        table = _table(("client", "status", "last seen", "kind", "started"), (
            (admin_link(s, s.client_name or "MCP client"),
             status_badge("revoked" if s.revoked_at else "ended" if s.ended_at else credential_status(revoked_at=None, expires_at=s.expires_at)),
             _when(s.last_seen_at), s.get_kind_display(), _when(s.created_at))
            for s in sessions
        ))
        return format_html("{} {}", table, changelist_link(McpSession, "all of this person's sessions", user__id__exact=user.pk))

    @admin.display(description="Personal access tokens")
    def personal_access_tokens(self, user: User):
        tokens = PersonalAccessToken.objects.filter(user=user)
        return _table(("name", "status", "last used", "scopes", "expires"), (
            (admin_link(t, t.name), status_badge(credential_status(revoked_at=t.revoked_at, expires_at=t.expires_at)),
             _when(t.last_used_at), t.scopes, _when(t.expires_at) if t.expires_at else "never")
            for t in tokens
        ))

    @admin.display(description="Recent activity")
    def recent_activity(self, user: User):
        events = AuditEvent.objects.filter(user=user).order_by("-occurred_at")[:PERSON_PAGE_EVENTS]
        table = _table(("when", "what", "client", "outcome"), (
            (admin_link(e, _when(e.occurred_at)), e.tool or e.get_kind_display(), e.client_name,
             f"{e.get_outcome_display()}{f' ({e.reason})' if e.reason else ''}")
            for e in events
        ))
        return format_html("{} {}", table, changelist_link(AuditEvent, "all of this person's activity", user__id__exact=user.pk))


class InvitationAddForm(forms.Form):
    note = forms.CharField(required=False, max_length=200, help_text="Who it is for, so you recognise it later.")
    role = forms.ChoiceField(choices=Invitation.Role.choices, initial=Invitation.Role.MEMBER)
    allowed_email_domains = forms.CharField(required=False, max_length=500, help_text="Space-separated, e.g. example.com; empty: any address.")
    expires_in_days = forms.IntegerField(min_value=1, max_value=INVITATION_MAX_DAYS, initial=7)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "note", "role", "allowed_email_domains", "created_by", "created_at", "expires_at", "status", "used_by", "revoked_at")
    list_filter = ("role", ("used_at", admin.EmptyFieldListFilter), ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("note", "allowed_email_domains", "created_by__username", "used_by__username")
    list_select_related = ("created_by", "used_by")
    fields = ("note", "role", "allowed_email_domains", "created_by", "created_at", "expires_at", "used_at", "used_by", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    @admin.display(description="Status")
    def status(self, invitation: Invitation) -> str:
        return invitation.status

    def has_change_permission(self, request, obj=None):
        return False  # an invitation is created, used or revoked, never edited

    def add_view(self, request, form_url="", extra_context=None):
        """The admin's own "add" page: the service makes the invitation, and the link is shown once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = InvitationAddForm(request.POST or None)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": "Invite someone", "form": form}
        if request.method == "POST" and form.is_valid():
            try:
                invitation, token = invitation_create(created_by=request.user, **form.cleaned_data)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                self.log_addition(request, invitation, [{"added": {}}])
                link = settings.PUBLIC_BASE_URL + reverse("invitation_accept", args=[token])
                response = TemplateResponse(request, "admin/accounts/invitation/created.html", {
                    **context, "title": "Invitation created", "invitation": invitation, "link": link})
                response["Cache-Control"] = "no-store"
                return response
        return TemplateResponse(request, "admin/accounts/invitation/add.html", context, status=400 if form.errors else 200)

    @admin.action(description="Revoke the selected invitations", permissions=["delete"])
    def revoke(self, request, queryset):
        revoked = sum(invitation_revoke(invitation=invitation, revoked_by=request.user) for invitation in queryset)
        self.message_user(request, f"Revoked {revoked} invitation(s).")


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "user", "status", "last_used_at", "token_prefix", "scopes", "expires_at")
    list_filter = (CredentialStatusFilter, ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "token_prefix", "user__username", "user__email")
    list_select_related = ("user",)
    # The digest is left out too: it is not the token, but nobody needs to see it.
    fields = ("user", "name", "status", "token_prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False  # tokens are created by their owner, who alone sees the plaintext

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="status")
    def status(self, token: PersonalAccessToken):
        return status_badge(credential_status(revoked_at=token.revoked_at, expires_at=token.expires_at))

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            credential_revoke(credential_id=token.credential_id, revoked_by=request.user)
        log_admin_action(self, request, tokens, "Revoked the token (admin action)")
        self.message_user(request, f"Revoked {len(tokens)} token(s).")
