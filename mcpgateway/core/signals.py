"""Writes made outside our services (the admin's deletes and actions, django-oauth-toolkit's own
revocations, saving a person) that must still end credentials and reach every worker's cache.

Ending a credential is mcpgateway.core.credentials' job; these receivers only route writes to it, or
move the revocation epoch for rows /mcp caches. QuerySet.update() sends no signal: our models'
QuerySets move the epoch themselves (mcpgateway.core.revocation.RevocationQuerySet); docs/oauth.md lists
what that leaves out.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from accounts.models import PersonalAccessToken
from mcpgateway.dashboard.events import dashboard_access_changed_on_commit
from mcpgateway.mcp.models import McpSession, ToolPolicy
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.spotify.models import SpotifyGrant

from .credentials import credential_revoke, user_credentials_revoke
from .revocation import bump_revocation_epoch_on_commit


def _deleting_the_person(origin) -> bool:
    """The person is being deleted: everything of theirs goes with them, nothing to revoke."""
    User = get_user_model()
    return isinstance(origin, User) or (isinstance(origin, QuerySet) and origin.model is User)


@receiver(post_save, sender=SpotifyGrant)
def grant_saved(sender, instance, **kwargs):
    # Workers cache grants for /mcp (selectors.grant_for_user_cached). Refreshes write with
    # update(), which sends no signal: the cached access token stays valid until it expires.
    bump_revocation_epoch_on_commit()


@receiver(post_save, sender=ToolPolicy)
def tool_policy_saved(sender, instance, **kwargs):
    # Workers cache the tool policies for /mcp (mcpgateway.mcp.selectors): a new or changed one
    # bites at every worker's next request.
    bump_revocation_epoch_on_commit()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def user_deactivated(sender, instance, created, **kwargs):
    if not instance.is_active and not created:
        user_credentials_revoke(user=instance)


ACCESS_FIELDS = {"is_active", "is_staff", "is_superuser"}


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def user_access_changed(sender, instance, created, update_fields=None, **kwargs):
    # The person's open dashboard and team sockets check again (a sign-in saving last_login does not ask).
    if not created and (update_fields is None or ACCESS_FIELDS & set(update_fields)):
        dashboard_access_changed_on_commit(user_id=instance.pk)


@receiver(pre_delete, sender=PersonalAccessToken)
@receiver(pre_delete, sender=OAuthAuthorization)
def credential_deleted(sender, instance, origin=None, **kwargs):
    # Deleting an authorization (itself, or with its client or its row) leaves its tokens behind
    # in DOT's tables: revoke them first, for good.
    if not _deleting_the_person(origin):
        credential_revoke(credential_id=instance.credential_id)


@receiver(pre_delete, sender=McpSession)
def session_deleted(sender, instance, origin=None, **kwargs):
    # Deleting a live row is disconnecting its client, which ends its credential; deleting a
    # closed one (ended by the client, revoked, expired) is housekeeping.
    if instance.credential_id and instance.is_active and not _deleting_the_person(origin):
        credential_revoke(credential_id=instance.credential_id)


@receiver(post_save, sender=get_access_token_model())
@receiver(post_save, sender=get_refresh_token_model())
def oauth_token_changed(sender, instance, created, **kwargs):
    # A token revoked or changed (DOT's admin actions and RFC 7009 view call revoke(), which
    # saves): workers may hold it verified. A new token changes nothing anyone cached.
    if not created:
        bump_revocation_epoch_on_commit()


@receiver(post_delete, sender=get_access_token_model())
@receiver(post_delete, sender=get_refresh_token_model())
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=PersonalAccessToken)
@receiver(post_delete, sender=McpSession)
@receiver(post_delete, sender=SpotifyGrant)
@receiver(post_delete, sender=ToolPolicy)
def cached_row_deleted(sender, instance, **kwargs):
    bump_revocation_epoch_on_commit()
