"""Changes made outside our services that must still reach every worker's verification cache."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import McpSession, PersonalAccessToken, SpotifyGrant
from .revocation import bump_revocation_epoch


@receiver(post_save, sender=SpotifyGrant)
def grant_saved(sender, instance, **kwargs):
    # Workers cache grants for /mcp (selectors.grant_for_user_cached). Refreshes write with
    # update(), which sends no signal: the cached access token stays valid until it expires.
    transaction.on_commit(bump_revocation_epoch)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def user_deactivated(sender, instance, **kwargs):
    if not instance.is_active:
        transaction.on_commit(bump_revocation_epoch)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=PersonalAccessToken)
@receiver(post_delete, sender=McpSession)
@receiver(post_delete, sender=SpotifyGrant)
def credential_deleted(sender, instance, **kwargs):
    transaction.on_commit(bump_revocation_epoch)
