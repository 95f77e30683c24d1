"""Reads of people's invitations (their writes: accounts.services)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Invitation
from .services import token_digest


def invitations_for_team(*, limit: int = 200) -> list[Invitation]:
    """The newest invitations first, with who made and who used each."""
    return list(Invitation.objects.select_related("created_by", "used_by").order_by("-created_at")[:limit])


def invitation_by_token(*, token: str) -> Invitation | None:
    return Invitation.objects.filter(token_digest=token_digest(token)).first()


def invitations_with_status(*, status: str | None = None) -> QuerySet[Invitation]:
    """Invitations newest first, with who made and who used each; `status` as Invitation.status says
    it (open, used, revoked, expired), in the database."""
    now = timezone.now()
    unused = Q(used_at__isnull=True, revoked_at__isnull=True)
    conditions = {
        "open": unused & Q(expires_at__gt=now),
        "used": Q(used_at__isnull=False),
        "revoked": Q(used_at__isnull=True, revoked_at__isnull=False),
        "expired": unused & Q(expires_at__lte=now),
    }
    invitations = Invitation.objects.select_related("created_by", "used_by").order_by("-created_at", "-pk")
    return invitations.filter(conditions[status]) if status is not None else invitations


def invitation_used_by(*, invitation_id: int, user) -> bool:
    return Invitation.objects.filter(pk=invitation_id, used_by=user).exists()
