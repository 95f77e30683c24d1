"""Reads for the dashboard: a person's credentials and the clients that use each of them."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from .credentials import PAT_CREDENTIAL_PREFIX
from .models import McpSession, OAuthAuthorization, PersonalAccessToken

# Enough for any person's dashboard; a credential with more clients than this shows the latest.
DASHBOARD_CLIENT_LIMIT = 500


def _live_sessions(**filters) -> QuerySet[McpSession]:
    return (
        McpSession.objects.filter(revoked_at__isnull=True, ended_at__isnull=True, **filters)
        .exclude(expires_at__lte=timezone.now())
        .order_by("-last_seen_at", "-created_at")
    )


def credentials_with_clients(*, user) -> tuple[list[PersonalAccessToken], list[OAuthAuthorization]]:
    """The person's live tokens and OAuth authorizations, each with `.clients`: the session and
    connection rows using it (for an authorization, besides its own row)."""
    clients = defaultdict(list)
    for row in _live_sessions(user=user)[:DASHBOARD_CLIENT_LIMIT]:
        clients[row.credential_id].append(row)
    tokens = list(PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token.clients = clients[token.credential_id]
    authorizations = list(
        OAuthAuthorization.objects.filter(user=user, session__revoked_at__isnull=True).select_related("session")
    )
    for authorization in authorizations:
        authorization.clients = [row for row in clients[authorization.credential_id] if row.pk != authorization.session_id]
    return tokens, authorizations


def credential_clients(*, credential_id: str) -> list[McpSession]:
    """What stops when this credential is revoked: its live session and connection rows."""
    return list(_live_sessions(credential_id=credential_id)[:DASHBOARD_CLIENT_LIMIT])


def credential_name(*, credential_id: str) -> str:
    """How a person knows the credential: the token's name, or the OAuth client's."""
    if credential_id.startswith(PAT_CREDENTIAL_PREFIX):
        token = PersonalAccessToken.objects.filter(pk=credential_id.removeprefix(PAT_CREDENTIAL_PREFIX)).first()
        return token.name if token else "personal access token"
    row = McpSession.objects.filter(kind=McpSession.Kind.CONNECTION, credential_id=credential_id).exclude(
        oauth_authorization=None
    ).first()
    return row.client_name if row else "MCP client"
