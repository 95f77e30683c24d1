"""From a tool call to the Spotify Web API of the person it acts for.

Which tools the caller may use at all is decided before the tool runs (mcpgateway.mcp.access); here
the person's Spotify connection itself must be usable.
"""

from __future__ import annotations

from typing import Any

from mcpgateway.mcp.context import current_epoch, current_principal
from mcpgateway.spotify.grant_tokens import GrantAccessTokens
from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.selectors import grant_for_user_cached
from mcpgateway.spotify.webapi import SpotifyApi

from .errors import needs_reconnect, not_connected


async def spotify_for(ctx: Any) -> SpotifyApi:
    """The Spotify Web API as the person behind this call.

    Raises ToolProblem when the person has no usable Spotify connection.
    """
    grant = await grant_for_user_cached(user_id=current_principal(ctx).user_id, epoch=current_epoch(ctx))
    if grant is None or grant.status == SpotifyGrant.Status.DISCONNECTED:
        raise not_connected()
    if grant.status != SpotifyGrant.Status.ACTIVE:
        raise needs_reconnect()
    return SpotifyApi(GrantAccessTokens(grant))
