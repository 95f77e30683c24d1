"""A person's connected Spotify account: the grant the gateway holds at Spotify, encrypted at rest."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from mcpgateway.core.crypto import EncryptedTokenField

# Spotify ends refresh tokens six months after the original consent, whatever the rotations.
REFRESH_TOKEN_LIFETIME = timedelta(days=182)


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
    # When the person was mailed that this connection ends soon / stopped working (one mail per
    # event, mcpgateway.spotify.notices); a new connection clears both.
    expiry_notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reconnect_notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

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
    def connection_ends_at(self):
        """When Spotify stops refreshing this grant: six months after the person's consent."""
        return self.consented_at + REFRESH_TOKEN_LIFETIME

    def ends_within(self, days: int, *, now=None) -> bool:
        """Active and ending (connection_ends_at) within `days` days from now (0: never warned)."""
        now = now or timezone.now()
        return self.status == self.Status.ACTIVE and days > 0 and self.connection_ends_at <= now + timedelta(days=days)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())
