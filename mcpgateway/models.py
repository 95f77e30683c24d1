"""What the gateway stores: each person's Spotify grant and the MCP sessions of their clients."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from .crypto import EncryptedTokenField
from .revocation import bump_revocation_epoch_on_commit


class RevocationQuerySet(models.QuerySet):
    """A QuerySet.update() sends no signal, so an update of a field /mcp caches (revocation,
    expiry, scopes) moves the revocation epoch itself: every worker rereads the rows at its next
    request. Updates of other fields ("last seen") leave the epoch, and the caches, alone."""

    revoking_fields: frozenset[str] = frozenset()

    def update(self, **kwargs):
        updated = super().update(**kwargs)
        if updated and self.revoking_fields.intersection(kwargs):
            bump_revocation_epoch_on_commit()
        return updated


class SpotifyGrant(models.Model):
    """One person's authorization of the gateway at Spotify (their connected Spotify account)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        DISCONNECTED = "disconnected", "Disconnected"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spotify_grant")
    spotify_user_id = models.CharField(max_length=255, db_index=True)
    display_name = models.CharField(max_length=255, blank=True)
    product = models.CharField(max_length=32, blank=True, help_text="Spotify subscription: premium, free, ...")
    scopes = models.TextField(blank=True, help_text="Space-separated scopes Spotify granted.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)

    access_token = EncryptedTokenField(blank=True, editable=False)
    refresh_token = EncryptedTokenField(blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Spotify refresh tokens die six months after the original consent, whatever the rotations.
    consented_at = models.DateTimeField(default=timezone.now)

    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    refresh_failures = models.PositiveIntegerField(default=0)
    # Set after a failure (backoff, Retry-After): the beat leaves the grant alone until then.
    next_refresh_attempt_at = models.DateTimeField(null=True, blank=True)

    # Single-flight refresh across processes: whoever takes the lease talks to Spotify; everyone
    # else waits for refresh_generation to move (it moves once per finished refresh attempt, and on
    # connect and disconnect). See mcpgateway.spotify.services.grant_refresh.
    refresh_generation = models.PositiveIntegerField(default=0)
    refresh_lease = models.CharField(max_length=64, blank=True, editable=False)
    refresh_lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Spotify grant"
        indexes = [models.Index(fields=["status", "access_token_expires_at"], name="grant_status_expiry_idx")]

    def __str__(self) -> str:
        who = self.display_name or self.spotify_user_id or "?"
        return f"{self.user} → Spotify {who} ({self.get_status_display()})"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


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


class PersonalAccessTokenQuerySet(RevocationQuerySet):
    revoking_fields = frozenset({"revoked_at", "expires_at", "scopes", "user", "user_id", "token_digest"})


class PersonalAccessToken(models.Model):
    """A bearer token a person creates for scripts that cannot do OAuth. Only its keyed hash is
    stored (HMAC-SHA256 with a server-side pepper); the token itself is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_access_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the token, so a person can tell their tokens apart; not a secret.
    token_prefix = models.CharField(max_length=16)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.TextField(help_text="Space-separated gateway scopes.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = PersonalAccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "personal access token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…) of {self.user}"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def credential_id(self) -> str:
        """How /mcp and the MCP sessions name this token (see mcpgateway.credentials)."""
        return f"pat:{self.pk}"


def oauth_credential_id(session_id: uuid.UUID) -> str:
    """The credential id of every token of one OAuth authorization: stable across refreshes."""
    return f"oauth:{session_id.hex}"


class OAuthAuthorization(models.Model):
    """A person's consent for one OAuth client (a django-oauth-toolkit Application) with a set of
    gateway scopes. Its McpSession row (kind "connection", credential "oauth:<session id>") is how
    the dashboard and admin show and revoke it; revoking that row, or deleting this one, revokes
    the client's tokens (mcpgateway.credentials)."""

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
