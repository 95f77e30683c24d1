"""Ending a credential: a personal access token, or one person's OAuth authorization of one client.

A client's name is whatever the client says it is, and one credential can open any number of
2025-11-25 sessions and 2026-07-28 connections under any names. So disconnecting a client (any of
its session rows), revoking a token, deleting any of these rows in the admin and deactivating a
person all end the CREDENTIAL: every session row of it is closed, a personal access token is
revoked, an OAuth authorization's tokens are revoked (refresh tokens marked revoked, access
tokens and pending codes deleted, so no later re-approval can revive them), and the revocation
epoch moves so every worker drops what it had verified at the client's next request; once the
revocation commits, every worker is told through the channel layer to close the credential's open
/mcp streams (mcpgateway.mcp.streams).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import PersonalAccessToken
from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.services import audit_record
from mcpgateway.dashboard.events import dashboard_event_on_commit
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization
from mcpgateway.oauth.services import oauth_tokens_revoke

from .revocation import announce_revocation_on_commit, bump_revocation_epoch_on_commit

PAT_CREDENTIAL_PREFIX = "pat:"


def credential_revoke(*, credential_id: str, revoked_by=None) -> int:
    """End one credential for good ("pat:12", "oauth:<hex>"); the number of session rows closed."""
    if not credential_id:
        raise ValueError("A credential id is needed (a row without one is revoked alone).")
    now = timezone.now()
    owner_id, details, ended = None, {"credential": credential_id}, False
    with transaction.atomic():
        if credential_id.startswith(PAT_CREDENTIAL_PREFIX):
            pk = credential_id.removeprefix(PAT_CREDENTIAL_PREFIX)
            if pk.isdigit():
                token = PersonalAccessToken.objects.filter(pk=int(pk)).values("user_id", "name").first()
                ended = PersonalAccessToken.objects.filter(pk=int(pk), revoked_at__isnull=True).update(revoked_at=now) > 0
                if token is not None:
                    owner_id, details["token_name"] = token["user_id"], token["name"]
        else:
            # The authorization is found through its own row, whose credential id this is.
            for user_id, application_id, client_id in OAuthAuthorization.objects.filter(
                session__credential_id=credential_id
            ).values_list("user_id", "application_id", "application__client_id"):
                oauth_tokens_revoke(user_id=user_id, application_id=application_id)
                owner_id, details["client_id"] = user_id, client_id
        sessions = McpSession.objects.filter(credential_id=credential_id, revoked_at__isnull=True)
        open_rows = list(sessions.values_list("user_id", "client_name"))
        clients = sorted({name for _user_id, name in open_rows if name})
        owner_id = owner_id or (open_rows[0][0] if open_rows else None)
        closed = sessions.update(revoked_at=now, revoked_by=revoked_by)
        bump_revocation_epoch_on_commit()
        # Open /mcp streams of it, on any worker, end at once (mcpgateway.mcp.streams).
        announce_revocation_on_commit(credential_ids=[credential_id])
        dashboard_event_on_commit(user_id=owner_id, kind="client_revoked", credential_id=credential_id)
        if ended or closed:
            _record_revocation(owner_id=owner_id, revoked_by=revoked_by, credential_id=credential_id, clients=clients,
                               details={**details, "sessions_closed": closed})
    return closed


def _record_revocation(*, owner_id, revoked_by, credential_id: str, clients: list[str], details: dict, session_id: str = "") -> None:
    owner = get_user_model()._default_manager.filter(pk=owner_id).first() if owner_id is not None else None
    audit_record(kind=AuditEvent.Kind.REVOCATION, user=owner, actor=revoked_by, credential_id=credential_id,
                 client_name=", ".join(clients), session_id=session_id, outcome=AuditEvent.Outcome.OK, details=details)


def sessions_revoke(*, sessions: QuerySet[McpSession], revoked_by=None) -> int:
    """Revoke the credentials the given session rows belong to (the dashboard's and the admin's
    Disconnect / Revoke); the number of session rows closed, theirs and their credentials' others."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(sessions.filter(revoked_at__isnull=True).values_list("pk", "credential_id", "user_id", "client_name"))
        credential_ids = sorted({credential_id for _pk, credential_id, *_ in rows if credential_id})
        alone = [(pk, user_id, name) for pk, credential_id, user_id, name in rows if not credential_id]
        closed = McpSession.objects.filter(pk__in=[pk for pk, *_ in alone]).update(revoked_at=now, revoked_by=revoked_by)
        for pk, user_id, name in alone:
            _record_revocation(owner_id=user_id, revoked_by=revoked_by, credential_id="", clients=[name] if name else [],
                               details={"sessions_closed": 1}, session_id=str(pk))
        for credential_id in credential_ids:
            closed += credential_revoke(credential_id=credential_id, revoked_by=revoked_by)
    return closed


def user_credentials_revoke(*, user, revoked_by=None) -> None:
    """A person was deactivated: end every credential they hold. Re-activation restores none of
    them; the person makes new tokens and approves their clients again."""
    with transaction.atomic():
        credential_ids = {token.credential_id for token in PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True)}
        credential_ids |= {authorization.credential_id for authorization in OAuthAuthorization.objects.filter(user=user, session__revoked_at__isnull=True)}
        for credential_id in sorted(credential_ids):
            credential_revoke(credential_id=credential_id, revoked_by=revoked_by)
        sessions_revoke(sessions=McpSession.objects.filter(user=user), revoked_by=revoked_by)
        oauth_tokens_revoke(user_id=user.pk)  # tokens of no authorization (none are expected)
