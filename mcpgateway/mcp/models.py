"""The MCP clients of a person as the gateway sees them: one row per session or authorized client."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from mcpgateway.core.revocation import RevocationQuerySet


class McpSessionQuerySet(RevocationQuerySet):
    revoking_fields = frozenset({"revoked_at", "ended_at", "expires_at", "user", "user_id", "credential_id", "kind"})


class McpSession(models.Model):
    """One MCP client connection of a person: an MCP session (2025-11-25) or an authorized client."""

    class Kind(models.TextChoices):
        # 2025-11-25: the row's id is the Mcp-Session-Id the gateway minted at `initialize`.
        SESSION = "session", "MCP session"
        # 2026-07-28 (sessionless): one row per credential and client name, created on first use.
        CONNECTION = "connection", "Authorized client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mcp_sessions")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SESSION)
    # The credential the client presented ("pat:12", later "oauth:34"); a session is bound to it.
    credential_id = models.CharField(max_length=64, blank=True, db_index=True)
    client_name = models.CharField(max_length=255, blank=True)
    client_version = models.CharField(max_length=100, blank=True)
    protocol_version = models.CharField(max_length=20, blank=True, db_index=True)
    user_agent = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client ended the session itself (HTTP DELETE, 2025-11-25); unlike revocation it does not
    # stop the client from starting a new one.
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = McpSessionQuerySet.as_manager()

    class Meta:
        verbose_name = "MCP session"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["credential_id", "client_name"],
                # A connection ended by the per-credential cap is history; its client gets a new row.
                condition=models.Q(kind="connection", ended_at__isnull=True),
                name="one_connection_per_credential_and_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_name or 'MCP client'} of {self.user} ({self.id})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return (
            self.revoked_at is None
            and self.ended_at is None
            and (self.expires_at is None or self.expires_at > now)
        )


class ToolPolicyQuerySet(RevocationQuerySet):
    """Every field of a policy decides what /mcp allows: any update moves the epoch (workers cache
    the policies per revocation epoch, mcpgateway.mcp.selectors)."""

    revoking_fields = frozenset({"user", "user_id", "blocked_groups", "blocked_tools"})

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            from mcpgateway.core.revocation import bump_revocation_epoch_on_commit

            bump_revocation_epoch_on_commit()
        return created


class ToolPolicy(models.Model):
    """An administrator's restriction of tools, for one person or (no person) for everyone: whole
    tool groups (a gateway scope's tools) and single tools. Whatever a person's credential may do,
    a restricted tool is hidden from tools/list and refused on tools/call
    (mcpgateway.mcp.access.tool_access). Several policies add up."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="tool_policies",
        help_text="The person this policy restricts; leave empty to restrict everyone.",
    )
    blocked_groups = models.JSONField(default=list, blank=True, help_text="Gateway scopes whose tools may not be used.")
    blocked_tools = models.JSONField(default=list, blank=True, help_text="Single tools that may not be used.")
    note = models.CharField(max_length=200, blank=True, help_text="Why: shown to the people it restricts, on their dashboard.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ToolPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "tool policy"
        verbose_name_plural = "tool policies"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Tool policy for {self.user or 'everyone'}"

    # Every save is checked against the real tools (mcpgateway.mcp.policies.policy_check, a
    # pre_save receiver: the tool registry imports this module, so the rule cannot live here).
