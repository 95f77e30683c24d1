"""Your personal access tokens (/api/tokens): list, create (the token itself is in that answer
only), revoke (mcpgateway.core.credentials: the clients using it stop at once)."""

from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from accounts.models import PersonalAccessToken
from accounts.services import personal_access_token_create
from mcpgateway.core.credentials import credential_revoke
from mcpgateway.core.scopes import GATEWAY_SCOPES

from .pagination import Pages
from .schemas import RevokedOut, RowId, responses

router = Router(tags=["tokens"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(alias="token_prefix", description="The token's first characters, to tell tokens apart.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    active: bool = Field(alias="is_active", description="False once expired.")

    @staticmethod
    def resolve_scopes(token) -> list[str]:
        return sorted(token.scope_set)


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself: shown in this answer only, never again.")


class TokenIn(Schema):
    name: str = Field(description="How you will recognise the token (1 to 100 characters).")
    scopes: list[str] = Field(description=f"Gateway scopes, at least one of: {', '.join(GATEWAY_SCOPES)}.")
    expires_in_days: int | None = Field(90, description="1 to 3650 days; null: never expires.")


@router.get("", response=responses(list[TokenOut]), summary="Your personal access tokens (not revoked)")
@paginate(Pages)
def tokens_list(request):
    return PersonalAccessToken.objects.filter(user=request.auth, revoked_at__isnull=True).order_by("-created_at", "-pk")


@router.post(
    "", response=responses(TokenCreatedOut, 400, status=201), summary="Create a personal access token",
    description="Called with a personal access token, the new token can have only that token's scopes (or fewer) "
                "and expire no later than it (403 otherwise).",
)
def token_create(request, payload: TokenIn, response: HttpResponse):
    credential_id = getattr(request, "api_token_credential_id", None)  # set when a script calls with a token
    made_with = None
    if credential_id is not None:
        made_with = PersonalAccessToken.objects.get(pk=int(credential_id.removeprefix("pat:")))
    try:
        token, plaintext = personal_access_token_create(
            user=request.auth, name=payload.name, scopes=set(payload.scopes), expires_in_days=payload.expires_in_days,
            made_with=made_with,
        )
    except ValueError as exc:
        raise HttpError(400, f"The token was not created: {exc}") from None
    except PermissionError as exc:
        raise HttpError(403, f"The token was not created: {exc}") from None
    token.token = plaintext
    response["Cache-Control"] = "no-store"  # the only time the token exists outside its client
    return Status(201, token)


@router.delete("/{token_id}", response=responses(RevokedOut, 404), summary="Revoke a personal access token")
def token_revoke(request, token_id: RowId):
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.auth, revoked_at__isnull=True)
    closed = credential_revoke(credential_id=token.credential_id, revoked_by=request.auth)
    return RevokedOut(detail=f"Token “{token.name}” revoked: every client using it is stopped.", clients_stopped=closed)
