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
from oauth2_provider.settings import oauth2_settings

from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.services import audit_record
from mcpgateway.core.revocation import bump_revocation_epoch_on_commit
from mcpgateway.dashboard.events import dashboard_event_on_commit
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization, oauth_credential_id

logger = logging.getLogger(__name__)


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
            _record_consent(user, authorization, application, scopes, new=False)
            return authorization
        # A new authorization starts with no tokens: any left from an earlier one of this client
        # (ended in a way that could not reach its tokens, say a raw UPDATE of its row) die here,
        # so approving the client again never brings old tokens back.
        oauth_tokens_revoke(user_id=user.pk, application_id=application.pk)
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
        _record_consent(user, authorization, application, scopes, new=True)
        # Its row is on the dashboard from now on (the client's own requests find it, and say nothing).
        dashboard_event_on_commit(user_id=user.pk, kind="client_connected", credential_id=session.credential_id,
                                  client_name=session.client_name)
    logger.info("User %s authorized OAuth client %s", user.pk, application.client_id)
    return authorization


def _record_consent(user, authorization: OAuthAuthorization, application, scopes: set[str], *, new: bool) -> None:
    """Each approval on the consent page is an audit row (the person acted), new authorization or not."""
    audit_record(
        kind=AuditEvent.Kind.CONSENT, user=user, client_name=(application.name or application.client_id),
        credential_id=authorization.credential_id, session_id=str(authorization.session_id), outcome=AuditEvent.Outcome.OK,
        details={"client_id": application.client_id, "scopes": sorted(scopes), "new_authorization": new},
    )


def oauth_tokens_revoke(*, user_id: int, application_id: int | None = None) -> None:
    """Revoke every token and pending code of one person for one client (None: every client).
    Refresh tokens are kept, revoked, so a replay is recognised (DOT's reuse protection)."""
    AccessToken, RefreshToken, Grant = get_access_token_model(), get_refresh_token_model(), get_grant_model()
    mine = {"user_id": user_id} if application_id is None else {"user_id": user_id, "application_id": application_id}
    now = timezone.now()
    with transaction.atomic():
        RefreshToken.objects.filter(**mine, revoked__isnull=True).update(revoked=now, updated=now)
        # Not a registration access token (RFC 7592): it manages the client, it is no grant of the person's.
        AccessToken.objects.filter(**mine).exclude(scope=oauth2_settings.DCR_REGISTRATION_SCOPE).delete()
        Grant.objects.filter(**mine).delete()
        bump_revocation_epoch_on_commit()


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
