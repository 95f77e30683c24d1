"""GET /api/me: who the API takes you for."""

from typing import Literal

from django.views.decorators.csrf import ensure_csrf_cookie
from ninja import Router, Schema
from ninja.decorators import decorate_view

from .schemas import responses

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    is_admin: bool
    authenticated_by: Literal["session", "token"]
    token_scopes: list[str] | None


@router.get("", response=responses(MeOut), summary="Who you are signed in as")
@decorate_view(ensure_csrf_cookie)  # a browser script gets the csrftoken cookie its POSTs need here
def me(request):
    scopes = getattr(request, "api_token_scopes", None)
    return MeOut(
        id=request.auth.pk,
        username=request.auth.get_username(),
        is_admin=request.auth.is_staff,
        authenticated_by="session" if scopes is None else "token",
        token_scopes=None if scopes is None else sorted(scopes),
    )
