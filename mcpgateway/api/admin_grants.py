"""Team admins: everyone's Spotify connections (/api/admin/grants; never their tokens), refreshing
one now and disconnecting one (mcpgateway.spotify.services, the only writers of a grant)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.services import GrantNeedsReconnect, GrantRefreshFailed, grant_disconnect, grant_refresh

from .auth import ADMIN_AUTH
from .pagination import Pages
from .schemas import PersonRef, RowId, responses

router = Router(tags=["admin: grants"], auth=ADMIN_AUTH)


class GrantOut(Schema):
    id: int
    person: PersonRef = Field(alias="user")
    status: SpotifyGrant.Status
    spotify_user_id: str
    display_name: str
    product: str
    scopes: list[str]
    consented_at: datetime
    access_token_expires_at: datetime | None
    last_refreshed_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    refresh_failures: int

    @staticmethod
    def resolve_scopes(grant) -> list[str]:
        return sorted(grant.scope_set)


class GrantsFilter(Schema):
    status: SpotifyGrant.Status | None = None
    person: int | None = Field(None, ge=1, le=2**63 - 1, description="Only this person's grant.")


def grants():
    return SpotifyGrant.objects.select_related("user").order_by("user__username", "pk")


@router.get("/grants", response=responses(list[GrantOut]), summary="Spotify connections")
@paginate(Pages)
def grants_list(request, filters: Query[GrantsFilter]):
    found = grants()
    if filters.status is not None:
        found = found.filter(status=filters.status)
    if filters.person is not None:
        found = found.filter(user_id=filters.person)
    return found


@router.post("/grants/{grant_id}/refresh", response=responses(GrantOut, 404, 409, 502), summary="Refresh a Spotify token now")
def grant_refresh_now(request, grant_id: RowId):
    grant = get_object_or_404(grants(), pk=grant_id)
    if grant.status != SpotifyGrant.Status.ACTIVE:
        raise HttpError(409, f"Only a connected grant can be refreshed; this one is {grant.get_status_display().lower()}.")
    try:
        grant_refresh(grant=grant)
    except GrantNeedsReconnect as exc:
        raise HttpError(409, f"Spotify refused the refresh; the person must reconnect: {exc}") from None
    except GrantRefreshFailed as exc:
        raise HttpError(502, f"Spotify did not answer the refresh; try again later: {exc}") from None
    return get_object_or_404(grants(), pk=grant_id)


@router.post("/grants/{grant_id}/disconnect", response=responses(GrantOut, 404, 409), summary="Disconnect a Spotify account")
def grant_disconnect_now(request, grant_id: RowId):
    grant = get_object_or_404(grants(), pk=grant_id)
    if grant.status == SpotifyGrant.Status.DISCONNECTED:
        raise HttpError(409, "This grant is already disconnected.")
    grant_disconnect(grant=grant)
    return get_object_or_404(grants(), pk=grant_id)
