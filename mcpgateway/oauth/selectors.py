"""Reads of OAuth authorizations (consent) and clients."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db.models import OuterRef, QuerySet, Subquery

from mcpgateway.mcp.models import McpSession
from mcpgateway.oauth.models import OAuthAuthorization

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def oauth_authorization_active(*, user_id: int, application_id: int) -> OAuthAuthorization | None:
    """The person's unrevoked consent for this client, if any."""
    return (
        OAuthAuthorization.objects.select_related("session")
        .filter(user_id=user_id, application_id=application_id, session__revoked_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def last_seen_of_credential(credential_id) -> Subquery:
    """When any client of this credential (an expression: an OuterRef) was last seen: its own row
    (2026-07-28 connections) and its 2025-11-25 sessions, one query for a whole list."""
    rows = McpSession.objects.filter(credential_id=credential_id, last_seen_at__isnull=False)
    return Subquery(rows.order_by("-last_seen_at").values("last_seen_at")[:1])


def oauth_authorizations_with_last_seen(authorizations: QuerySet[OAuthAuthorization]) -> QuerySet[OAuthAuthorization]:
    return authorizations.annotate(last_seen_at=last_seen_of_credential(OuterRef("session__credential_id")))


def oauth_consent_covers(*, user_id: int, application, scopes: set[str], redirect_uri: str) -> bool:
    """Consent is remembered per person, client and scopes until it is revoked; for a public
    client only for the redirect URI approved, port included: a loopback redirect URI matches on
    any port (RFC 8252 §7.3), and a public client cannot prove at the token endpoint that the
    program on another port is itself (RFC 6749 §10.2), so the person is asked again."""
    authorization = oauth_authorization_active(user_id=user_id, application_id=application.pk)
    if authorization is None or not set(scopes) <= authorization.scope_set:
        return False
    return application.client_type != application.CLIENT_PUBLIC or authorization.redirect_uri == redirect_uri


def redirect_uris_all_loopback(redirect_uris: str) -> bool:
    uris = redirect_uris.split()
    return bool(uris) and all((urlsplit(uri).hostname or "").lower() in LOOPBACK_HOSTS for uri in uris)

# Where the person returns after connecting Spotify in the middle of an authorization.
OAUTH_RESUME_SESSION_KEY = "oauth_authorize_resume"
