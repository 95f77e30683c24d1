"""Admin for people, their invitations and their personal access tokens (token digests are never
shown). Team admins who are not superusers use it through the "Team admins" group (accounts.roles):
they see and change people, but not superuser status, groups or permissions, nor a superuser."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse

from mcpgateway.audit.admin_logging import AuditedAdminMixin, log_admin_action
from mcpgateway.core.credentials import credential_revoke

from .models import Invitation, PersonalAccessToken, User
from .services import INVITATION_MAX_DAYS, invitation_create, invitation_revoke, user_set_role


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_active", "must_change_password", "spotify_status", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "must_change_password")
    list_select_related = ("spotify_grant",)
    actions = ("make_admin", "make_member")
    # The role changes only through the actions (accounts.services.user_set_role), which keep the
    # "Team admins" group in step with is_staff.
    readonly_fields = ("role", "is_staff", "last_login", "date_joined")
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
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        return tuple(
            (name, {**options, "fields": tuple(field for field in options["fields"] if field not in self.SUPERUSER_ONLY_FIELDS)})
            for name, options in fieldsets
        )

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
        log_admin_action(self, request, tokens, "Revoked the token (admin action)")
        self.message_user(request, f"Revoked {len(tokens)} token(s).")
