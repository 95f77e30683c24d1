"""Your Spotify connection (/api/spotify): its status (never its tokens), and disconnecting it.
Connecting is a browser's redirect to Spotify: the dashboard's button."""

from datetime import datetime

from ninja import Router, Schema
from ninja.errors import HttpError

from mcpgateway.spotify.accounts import SPOTIFY_SCOPES
from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.selectors import grant_for_user
from mcpgateway.spotify.services import REFRESH_TOKEN_LIFETIME, grant_disconnect

from .schemas import responses

router = Router(tags=["spotify"])


class SpotifyOut(Schema):
    status: SpotifyGrant.Status | None
    spotify_user_id: str | None
    display_name: str | None
    product: str | None
    scopes: list[str]
    missing_scopes: list[str]
    connection_ends_at: datetime | None
    last_refreshed_at: datetime | None


def spotify_status(grant: SpotifyGrant | None) -> SpotifyOut:
    if grant is None:
        return SpotifyOut(status=None, spotify_user_id=None, display_name=None, product=None, scopes=[], missing_scopes=[],
                          connection_ends_at=None, last_refreshed_at=None)
    active = grant.status == SpotifyGrant.Status.ACTIVE
    return SpotifyOut(
        status=grant.status,
        spotify_user_id=grant.spotify_user_id,
        display_name=grant.display_name,
        product=grant.product,
        scopes=sorted(grant.scope_set),
        missing_scopes=sorted(set(SPOTIFY_SCOPES) - grant.scope_set) if active else [],
        connection_ends_at=grant.consented_at + REFRESH_TOKEN_LIFETIME if active else None,
        last_refreshed_at=grant.last_refreshed_at,
    )


@router.get("", response=responses(SpotifyOut), summary="Your Spotify connection")
def spotify_get(request):
    return spotify_status(grant_for_user(user=request.auth))


@router.post("/disconnect", response=responses(SpotifyOut, 409), summary="Disconnect your Spotify account")
def spotify_disconnect(request):
    grant = grant_for_user(user=request.auth)
    if grant is None or grant.status == SpotifyGrant.Status.DISCONNECTED:
        raise HttpError(409, "Spotify was not connected.")
    return spotify_status(grant_disconnect(grant=grant))
