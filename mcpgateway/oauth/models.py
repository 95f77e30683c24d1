"""A person's consent for one OAuth client; django-oauth-toolkit's own models hold its tokens."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings

from mcpgateway.mcp.models import McpSession


def oauth_credential_id(session_id: uuid.UUID) -> str:
    """The credential id of every token of one OAuth authorization: stable across refreshes."""
    return f"oauth:{session_id.hex}"


class OAuthAuthorization(models.Model):
    """A person's consent for one OAuth client (a django-oauth-toolkit Application) with a set of
    gateway scopes. Its McpSession row (kind "connection", credential "oauth:<session id>") is how
    the dashboard and admin show and revoke it; revoking that row, or deleting this one, revokes
    the client's tokens (mcpgateway.core.credentials)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_authorizations")
    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.OneToOneField(McpSession, on_delete=models.CASCADE, related_name="oauth_authorization")
    scopes = models.TextField(help_text="Space-separated gateway scopes the person approved.")
    # Remembered consent of a public client holds only for this exact URI, port included (RFC 6749
    # §10.2: loopback ports may vary, RFC 8252 §7.3, so any local program could ask on another one).
    redirect_uri = models.TextField(blank=True, help_text="The redirect URI the person approved last.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "OAuth authorization"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.application} for {self.user}"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def credential_id(self) -> str:
        return oauth_credential_id(self.session_id)
