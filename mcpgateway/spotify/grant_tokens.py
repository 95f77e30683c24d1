"""A person's Spotify access tokens for the Web API client (webapi.SpotifyApi): fresh from the grant,
refreshed through the single-flight refresh service when nearly expired or rejected.

Apart from webapi.py so the Web API client does not depend on the services that depend on it
(a new connection asks the Web API for the person's profile).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async

from mcpgateway.spotify.models import SpotifyGrant

from .selectors import grant_cache_remember
from .services import GrantNeedsReconnect, grant_refresh, grant_with_fresh_token, token_is_fresh


class GrantAccessTokens:
    """The access token of a person's SpotifyGrant, through the single-flight refresh service.

    Raises `GrantNeedsReconnect` or `GrantRefreshFailed` (from mcpgateway.spotify.services).
    """

    def __init__(self, grant: SpotifyGrant):
        self.grant = grant

    async def current(self) -> str:
        if not token_is_fresh(self.grant):  # the common case skips this: no thread hop, no query
            self.grant = await sync_to_async(grant_with_fresh_token, thread_sensitive=False)(grant=self.grant)
            grant_cache_remember(self.grant)
        return self.grant.access_token.reveal()

    async def after_rejection(self, rejected: str) -> str:
        token, self.grant = await sync_to_async(_token_after_rejection, thread_sensitive=False)(self.grant.pk, rejected)
        grant_cache_remember(self.grant)
        return token


def _token_after_rejection(grant_id: int, rejected: str) -> tuple[str, SpotifyGrant]:
    grant = SpotifyGrant.objects.get(pk=grant_id)
    if grant.status != SpotifyGrant.Status.ACTIVE or grant.access_token is None:
        raise GrantNeedsReconnect(grant.last_error or "Spotify is not connected")
    current = grant.access_token.reveal()
    if current != rejected:
        return current, grant  # someone refreshed since we read the token: use theirs
    grant = grant_refresh(grant=grant, expected_generation=grant.refresh_generation).grant
    return grant.access_token.reveal(), grant
