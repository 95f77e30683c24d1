"""People and the credentials they hold themselves: the gateway's users and their personal access tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from mcpgateway.core.revocation import RevocationQuerySet


class User(AbstractUser):
    """A person who signs in to the gateway. Kept custom from the first migration so it can grow.

    Roles (accounts.roles): a team admin is an active user with is_staff (or a superuser)."""

    # Set when an admin chose this person's password (the admin's "add user" form): every page but
    # the password change sends them there first (accounts.middleware); changing it clears this.
    must_change_password = models.BooleanField(
        default=False, help_text="Sends this person to the password change page until they choose a password of their own."
    )

    # In Development Mode Spotify serves only the accounts the app's owner added by hand in Spotify's
    # developer dashboard, a list the gateway cannot read: admins record here whom they added.
    spotify_allowlisted = models.BooleanField(
        "Spotify allow-listed",
        default=False,
        help_text="This person's Spotify account email is on the Spotify app's user list (Spotify's developer "
        "dashboard, Users and Access). Only a record for the dashboard's advice; Spotify itself decides.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Invitation(models.Model):
    """A single-use, expiring link that lets one person create their account. Only the link token's
    keyed hash is stored (accounts.services.token_digest); the link is shown once, at creation."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Admin"

    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Space-separated; empty: any email address. The invitee's email must end in "@" + one of them.
    allowed_email_domains = models.CharField(
        max_length=500, blank=True, help_text="Space-separated email domains the invitee's address must be at; empty: any."
    )
    note = models.CharField(max_length=200, blank=True, help_text="Who it is for, so you recognise it later.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.get_role_display().lower()}, {self.status})"

    @property
    def domain_list(self) -> list[str]:
        return self.allowed_email_domains.split()

    @property
    def status(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


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
        """How /mcp and the MCP sessions name this token (see mcpgateway.core.credentials)."""
        return f"pat:{self.pk}"
