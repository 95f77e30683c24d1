"""Writes of OAuth authorizations: recording consent, revoking a client's tokens, expiring unused
dynamically registered clients."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, get_grant_model, get_refresh_token_model

from mcpgateway.models import McpSession, OAuthAuthorization
from mcpgateway.revocation import bump_revocation_epoch

logger = logging.getLogger(__name__)


def oauth_credential_id(session_id: uuid.UUID) -> str:
    """The credential id of every token of one authorization: stable across refreshes."""
    return f"oauth:{session_id.hex}"


def oauth_authorization_record(*, user, application, scopes: set[str], redirect_uri: str) -> OAuthAuthorization:
    """Remember that the person approved this client for these scopes and this redirect URI (its
    session row included)."""
    from .selectors import oauth_authorization_active

    with transaction.atomic():
        authorization = oauth_authorization_active(user_id=user.pk, application_id=application.pk)
        if authorization is not None:
            changed = []
            if not set(scopes) <= authorization.scope_set:
                authorization.scopes = " ".join(sorted(authorization.scope_set | set(scopes)))
                changed.append("scopes")
            if authorization.redirect_uri != redirect_uri:
                authorization.redirect_uri = redirect_uri
                changed.append("redirect_uri")
            if changed:
                authorization.save(update_fields=changed)
            return authorization
        session_id = uuid.uuid4()
        session = McpSession.objects.create(
            id=session_id,
            user=user,
            kind=McpSession.Kind.CONNECTION,
            credential_id=oauth_credential_id(session_id),
            client_name=(application.name or application.client_id)[:255],
            last_seen_at=None,
        )
        authorization = OAuthAuthorization.objects.create(
            user=user, application=application, session=session, scopes=" ".join(sorted(scopes)), redirect_uri=redirect_uri
        )
    logger.info("User %s authorized OAuth client %s", user.pk, application.client_id)
    return authorization


def oauth_tokens_revoke(*, user_id: int, application_id: int) -> None:
    """Revoke every token and pending code of one person's authorization of one client."""
    AccessToken, RefreshToken, Grant = get_access_token_model(), get_refresh_token_model(), get_grant_model()
    now = timezone.now()
    with transaction.atomic():
        RefreshToken.objects.filter(user_id=user_id, application_id=application_id, revoked__isnull=True).update(
            revoked=now, updated=now
        )
        AccessToken.objects.filter(user_id=user_id, application_id=application_id).delete()
        Grant.objects.filter(user_id=user_id, application_id=application_id).delete()
        transaction.on_commit(bump_revocation_epoch)


def oauth_authorizations_revoke_tokens(*, sessions) -> int:
    """The sessions were revoked (dashboard, admin): revoke the OAuth tokens behind them."""
    pairs = set(OAuthAuthorization.objects.filter(session__in=sessions).values_list("user_id", "application_id"))
    for user_id, application_id in pairs:
        oauth_tokens_revoke(user_id=user_id, application_id=application_id)
    return len(pairs)


def oauth_clients_expire_unused(*, older_than: timedelta) -> int:
    """Delete dynamically registered clients that never got a person's authorization."""
    Application = get_application_model()
    cutoff = timezone.now() - older_than
    unused = Application.objects.filter(
        registration_source=Application.RegistrationSource.DCR, created__lt=cutoff
    ).exclude(Exists(OAuthAuthorization.objects.filter(application=OuterRef("pk"))))
    ids = list(unused.values_list("pk", flat=True))
    Application.objects.filter(pk__in=ids).delete()
    count = len(ids)
    if count:
        logger.info("Expired %s unused dynamically registered OAuth client(s)", count)
    return count
