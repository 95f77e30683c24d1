"""Team admins: the people of the gateway (/api/admin/people), and deactivating one, which ends
every credential they hold (mcpgateway.core.signals -> user_credentials_revoke)."""

from datetime import datetime
from typing import Literal

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from mcpgateway.spotify.models import SpotifyGrant

from .auth import ADMIN_AUTH
from .pagination import Pages
from .schemas import RowId, responses

router = Router(tags=["admin: people"], auth=ADMIN_AUTH)


class PersonOut(Schema):
    id: int
    username: str
    email: str
    is_active: bool
    is_admin: bool = Field(alias="is_staff")
    is_superuser: bool
    date_joined: datetime
    last_login: datetime | None
    spotify_status: SpotifyGrant.Status | None

    @staticmethod
    def resolve_spotify_status(person) -> str | None:
        grant = getattr(person, "spotify_grant", None)  # None when the person has none (select_related)
        return grant.status if grant else None


class PeopleFilter(Schema):
    active: bool | None = Field(None, description="Only active (true) or deactivated (false) people.")
    role: Literal["admin", "member"] | None = Field(None, description="admin: is_staff; member: the others.")


@router.get("/people", response=responses(list[PersonOut]), summary="People")
@paginate(Pages)
def people_list(request, filters: Query[PeopleFilter]):
    people = get_user_model().objects.select_related("spotify_grant").order_by("username", "pk")
    if filters.active is not None:
        people = people.filter(is_active=filters.active)
    if filters.role is not None:
        people = people.filter(is_staff=filters.role == "admin")
    return people


@router.post("/people/{person_id}/deactivate", response=responses(PersonOut, 404, 409), summary="Deactivate a person")
def person_deactivate(request, person_id: RowId):
    person = get_object_or_404(get_user_model().objects.select_related("spotify_grant"), pk=person_id)
    if person.pk == request.auth.pk:
        raise HttpError(409, "You cannot deactivate yourself: ask another admin.")
    if person.is_superuser and not request.auth.is_superuser:
        raise HttpError(403, "Only a superuser may deactivate a superuser.")
    if not person.is_active:
        raise HttpError(409, f"{person.get_username()} is already deactivated.")
    person.is_active = False
    person.save(update_fields=["is_active"])  # post_save ends every credential (mcpgateway.core.signals)
    return person
