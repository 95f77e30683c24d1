"""Admin for MCP sessions and tool policies. Revoking one ends its credential (mcpgateway.core.credentials); deleting
a live row does the same through mcpgateway.core.signals."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from mcpgateway.audit.admin_logging import AuditedAdminMixin, log_admin_action
from mcpgateway.core.admin_display import REVOKED, credential_status, status_badge
from mcpgateway.core.credentials import sessions_revoke
from mcpgateway.mcp.models import McpSession, ToolPolicy
from mcpgateway.mcp.policies import group_choices, policy_problems, tool_choices


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
class McpSessionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    # What an admin scans first (person, client, status, last seen); the rest is on the row's page.
    list_display = ("user", "client_name", "status", "last_seen_at", "kind", "protocol_version", "created_at")
    list_display_links = ("user",)
    list_filter = (SessionActiveFilter, ("user", admin.RelatedOnlyFieldListFilter), "kind", "protocol_version", "client_name")
    search_fields = ("id", "user__username", "user__email", "client_name", "credential_id", "user_agent", "ip_address")
    list_select_related = ("user", "revoked_by")
    readonly_fields = [f.name for f in McpSession._meta.fields]
    date_hierarchy = "created_at"
    actions = ("revoke",)

    @admin.display(description="status")
    def status(self, session: McpSession):
        if session.revoked_at is not None:
            return status_badge(REVOKED)
        if session.ended_at is not None:
            return status_badge("ended")
        return status_badge(credential_status(revoked_at=None, expires_at=session.expires_at))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected sessions' credentials (every client of that token or OAuth authorization stops)")
    def revoke(self, request, queryset):
        chosen = list(queryset.filter(revoked_at__isnull=True))
        count = sessions_revoke(sessions=queryset, revoked_by=request.user)
        log_admin_action(self, request, chosen, "Revoked the session's credential (admin action)")
        self.message_user(request, f"Revoked {count} session(s), with the tokens and OAuth authorizations they used.")


class ToolPolicyForm(forms.ModelForm):
    """Tool groups and tools chosen from the gateway's own (mcpgateway.mcp.policies): a name the
    gateway does not have is refused with a message, never stored."""

    blocked_groups = forms.MultipleChoiceField(
        choices=group_choices, required=False, widget=forms.CheckboxSelectMultiple, label="Restricted tool groups",
        help_text="Every tool of a ticked group is hidden and refused.",
        error_messages={"invalid_choice": "Unknown tool group %(value)s: choose among the gateway's scopes."},
    )
    blocked_tools = forms.MultipleChoiceField(
        choices=tool_choices, required=False, widget=forms.CheckboxSelectMultiple, label="Restricted tools",
        help_text="Single tools, for instance the destructive ones, hidden and refused.",
        error_messages={"invalid_choice": "Unknown tool %(value)s: the gateway has no tool by that name."},
    )

    class Meta:
        model = ToolPolicy
        fields = ("user", "blocked_groups", "blocked_tools", "note")

    def clean(self):
        cleaned = super().clean()
        if self.errors:  # an unknown choice is already refused, with its message
            return cleaned
        for field, problem in policy_problems(groups=cleaned.get("blocked_groups", []), tools=cleaned.get("blocked_tools", [])).items():
            self.add_error(None if field == "__all__" else field, problem)
        return cleaned


@admin.register(ToolPolicy)
class ToolPolicyAdmin(admin.ModelAdmin):
    """Saving or deleting a policy moves the revocation epoch (mcpgateway.core.signals): every
    worker applies it at its next request."""

    form = ToolPolicyForm
    list_display = ("__str__", "restricted_groups", "restricted_tools", "note", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "note")
    autocomplete_fields = ("user",)

    @admin.display(description="Tool groups")
    def restricted_groups(self, policy: ToolPolicy) -> str:
        return ", ".join(policy.blocked_groups) or "-"

    @admin.display(description="Tools")
    def restricted_tools(self, policy: ToolPolicy) -> str:
        return ", ".join(policy.blocked_tools) or "-"
