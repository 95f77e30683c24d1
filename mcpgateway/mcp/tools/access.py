"""From a tool call to the Spotify Web API of the person it acts for.

The bridge hides and refuses tools the caller's scopes do not allow; the same check is repeated
here so a tool is safe on any server it is registered with (the benchmark's bare server, tests).
"""

from __future__ import annotations

from typing import Any

from mcpgateway.mcp.context import current_epoch
from mcpgateway.models import SpotifyGrant
from mcpgateway.spotify.webapi import GrantAccessTokens, SpotifyApi
from mcpgateway.spotify.selectors import grant_for_user_cached

from .errors import ToolProblem, dashboard_url
from .registry import TOOLS


def principal_of(ctx: Any):
    """The gateway principal of the request (`mcpgateway.mcp.auth.Principal`)."""
    from mcpgateway.mcp.context import current_principal

    return current_principal(ctx)


async def spotify_for(ctx: Any, tool: str) -> SpotifyApi:
    """The Spotify Web API as the person behind this call, for tool `tool`.

    Raises ToolProblem when the credential lacks the tool's gateway scope, or the person has no
    usable Spotify connection or one without the Spotify scopes the tool needs.
    """
    requirement = TOOLS[tool].requirement
    principal = principal_of(ctx)
    if requirement.gateway_scope not in principal.scopes:
        raise ToolProblem(
            f"The token this client uses does not have the gateway scope {requirement.gateway_scope}, which {tool} needs. "
            f"Create a token with it at {dashboard_url()}.",
            kind="scope_missing",
        )
    grant = await grant_for_user_cached(user_id=principal.user_id, epoch=current_epoch(ctx))
    if grant is None or grant.status == SpotifyGrant.Status.DISCONNECTED:
        raise ToolProblem(
            f"Spotify is not connected to your gateway account yet. Connect it at {dashboard_url()}, then try again.",
            kind="not_connected",
        )
    if grant.status != SpotifyGrant.Status.ACTIVE:
        raise ToolProblem(
            f"Your Spotify connection has expired or was revoked. Reconnect Spotify at {dashboard_url()} and try again.",
            kind="needs_reconnect",
        )
    lacking = requirement.spotify_scopes - grant.scope_set
    if lacking:
        raise ToolProblem(
            f"Your Spotify connection does not allow {', '.join(sorted(lacking))}, which {tool} needs. "
            f"Reconnect Spotify at {dashboard_url()} and accept all the permissions asked for.",
            kind="scope_missing",
        )
    return SpotifyApi(GrantAccessTokens(grant))
