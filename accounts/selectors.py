"""Reads of people's invitations (their writes: accounts.services)."""

from __future__ import annotations

from .models import Invitation
from .services import token_digest


def invitations_for_team(*, limit: int = 200) -> list[Invitation]:
    """The newest invitations first, with who made and who used each."""
    return list(Invitation.objects.select_related("created_by", "used_by").order_by("-created_at")[:limit])


def invitation_by_token(*, token: str) -> Invitation | None:
    return Invitation.objects.filter(token_digest=token_digest(token)).first()
