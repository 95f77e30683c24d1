"""The audit trail: one row per thing worth answering "who did what, when" about (tool calls,
sign-ins, consents, revocations, invitations, admin actions). Rows are only ever added (by
mcpgateway.audit.services and the /mcp tool-call writer, mcpgateway.audit.writer) and deleted by the
retention purge; nothing edits them."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        TOOL_CALL = "tool_call", "Tool call"
        SIGN_IN = "sign_in", "Sign-in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
        CONSENT = "consent", "OAuth consent"
        REVOCATION = "revocation", "Revocation"
        INVITATION_CREATED = "invitation_created", "Invitation created"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        ADMIN_ACTION = "admin_action", "Admin action"

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        ERROR = "error", "Error"  # the tool ran and reported a problem (Spotify's, the grant's, the input's)
        REFUSED = "refused", "Refused"  # the gateway did not let the call run (scopes)

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Whose activity this is (the person who called, signed in, consented, whose credential was
    # revoked). Kept as a snapshot too, so the row still names them after the account is deleted.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    # Who did it, when that is someone else (an admin revoking, an admin's action).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    client_name = models.CharField(max_length=255, blank=True)
    credential_id = models.CharField(max_length=64, blank=True)  # "pat:12" / "oauth:<hex>", never a token
    session_id = models.CharField(max_length=64, blank=True)  # the McpSession row (it may be purged before this)
    tool = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    # A stable word saying why (a tool problem's kind, a refusal's missing scope kind, a lockout).
    reason = models.CharField(max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # What it was about, summarised (mcpgateway.audit.summary): ids, names, numbers, short strings.
    summary = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "audit event"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-occurred_at"], name="audit_user_time"),
            models.Index(fields=["kind", "-occurred_at"], name="audit_kind_time"),
            models.Index(fields=["outcome", "-occurred_at"], name="audit_outcome_time"),
        ]

    def summary_text(self) -> str:
        """The summary in one line for people: `key=value` pairs (a tool call's arguments), by key (PostgreSQL's jsonb
        keeps no order)."""
        summary = self.summary if isinstance(self.summary, dict) else {}
        details = summary.get("arguments") if self.kind == self.Kind.TOOL_CALL and isinstance(summary.get("arguments"), dict) else summary
        return ", ".join(f"{key}={json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}" for key, value in sorted(details.items()))

    def __str__(self) -> str:
        what = self.tool or self.get_kind_display()
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {what}"
