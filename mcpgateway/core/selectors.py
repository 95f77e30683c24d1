"""Reads for the dashboard: a person's credentials and the clients that use each of them."""

from __future__ import annotations

from collections import defaultdict

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import PersonalAccessToken
from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization

from .credentials import PAT_CREDENTIAL_PREFIX

# What the page of a credential's revocation lists; a credential with more clients shows the latest.
DASHBOARD_CLIENT_LIMIT = 500
# Clients per dashboard page (?page=): the person's live clients of every credential, latest first.
DASHBOARD_CLIENTS_PER_PAGE = 100


def _live_sessions(**filters) -> QuerySet[McpSession]:
    return (
        McpSession.objects.filter(revoked_at__isnull=True, ended_at__isnull=True, **filters)
        .exclude(expires_at__lte=timezone.now())
        .order_by(F("last_seen_at").desc(nulls_last=True), "-created_at", "-pk")
    )


def credentials_with_clients(*, user, page_number=1) -> tuple[list[PersonalAccessToken], list[OAuthAuthorization], Page]:
    """The person's live tokens and OAuth authorizations, each with `.clients`: the session and
    connection rows using it that are on page `page_number` of the person's live clients (an
    authorization's own row is the authorization, listed on every page). A page number that is
    not a number gives the first page, one out of range the last (Paginator.get_page). A constant
    number of queries per page."""
    clients_page = Paginator(_live_sessions(user=user, oauth_authorization__isnull=True), DASHBOARD_CLIENTS_PER_PAGE).get_page(page_number)
    clients = defaultdict(list)
    for row in clients_page:
        clients[row.credential_id].append(row)
    tokens = list(PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token.clients = clients[token.credential_id]
    authorizations = list(
        OAuthAuthorization.objects.filter(user=user, session__revoked_at__isnull=True).select_related("session")
    )
    for authorization in authorizations:
        authorization.clients = clients[authorization.credential_id]
    return tokens, authorizations, clients_page


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


def live_clients(**filters) -> QuerySet[McpSession]:
    """Live session and connection rows (OAuth authorizations' own rows included), latest first:
    the REST API's lists of clients (mcpgateway.api)."""
    return _live_sessions(**filters)


def credential_names(*, credential_ids) -> dict[str, str]:
    """credential_name of many credentials at once: two queries, whatever their number."""
    credential_ids = set(credential_ids)
    token_ids = [c.removeprefix(PAT_CREDENTIAL_PREFIX) for c in credential_ids if c.startswith(PAT_CREDENTIAL_PREFIX)]
    names = {
        f"{PAT_CREDENTIAL_PREFIX}{pk}": name
        for pk, name in PersonalAccessToken.objects.filter(pk__in=[pk for pk in token_ids if pk.isdigit()]).values_list("pk", "name")
    }
    oauth_ids = [c for c in credential_ids if c and not c.startswith(PAT_CREDENTIAL_PREFIX)]
    if oauth_ids:
        names.update(
            McpSession.objects.filter(kind=McpSession.Kind.CONNECTION, credential_id__in=oauth_ids)
            .exclude(oauth_authorization=None)
            .values_list("credential_id", "client_name")
        )
    for credential_id in credential_ids:
        names.setdefault(credential_id, "personal access token" if credential_id.startswith(PAT_CREDENTIAL_PREFIX) else "MCP client")
    return names
