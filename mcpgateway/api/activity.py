"""The audit trail (mcpgateway.audit): your own activity (/api/activity, what the Activity page
shows) and, for team admins, everyone's (/api/admin/activity). Newest first, paged; read only."""

from datetime import UTC, datetime
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator
from pydantic_core.core_schema import ValidationInfo

from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.selectors import events_for_admin, events_of

from .auth import ADMIN_AUTH
from .pagination import Pages
from .schemas import MAX_ID, responses

router = Router(tags=["activity"])
admin_router = Router(tags=["admin: activity"], auth=ADMIN_AUTH)


class EventOut(Schema):
    id: int
    occurred_at: datetime
    kind: AuditEvent.Kind
    person_id: int | None = Field(alias="user_id", description="Whose activity it is (null: no account, or deleted since).")
    person_username: str = Field(alias="username", description="Their name when it happened (or the name a failed sign-in tried).")
    actor_id: int | None = Field(description="Who did it, when someone else (an admin revoking, inviting).")
    actor_username: str
    client_name: str
    credential_id: str = Field(description='"pat:<id>" or "oauth:<id>": which credential, never a token.')
    tool: str
    outcome: AuditEvent.Outcome | None
    reason: str
    duration_ms: int | None
    details: dict[str, Any] = Field(alias="summary", description="What it was about, summarised (never a token or password).")
    ip_address: str | None

    @staticmethod
    def resolve_outcome(event) -> str | None:
        return event.outcome or None


class ActivityFilter(Schema):
    kind: AuditEvent.Kind | None = Field(None, description="Only events of this kind.")
    outcome: AuditEvent.Outcome | None = Field(None, description="Only events with this outcome.")


class AdminActivityFilter(ActivityFilter):
    person: int | None = Field(None, ge=1, le=MAX_ID, description="Only events about this person or done by them (id).")
    since: datetime | None = Field(None, description="From this time on (inclusive; without a time zone: UTC).")
    until: datetime | None = Field(None, description="Before this time (exclusive; without a time zone: UTC).")

    @field_validator("since", "until")
    @classmethod
    def in_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:
            raise ValueError("out of range") from None

    @field_validator("until")
    @classmethod
    def after_since(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if value is not None and since is not None and value <= since:
            raise ValueError("must be after since")
        return value


@router.get("", response=responses(list[EventOut]), summary="Your activity")
@paginate(Pages)
def activity_list(request, filters: Query[ActivityFilter]):
    return events_of(user=request.auth, kind=filters.kind, outcome=filters.outcome)


@admin_router.get("/activity", response=responses(list[EventOut]), summary="Everyone's activity")
@paginate(Pages)
def admin_activity_list(request, filters: Query[AdminActivityFilter]):
    return events_for_admin(person_id=filters.person, kind=filters.kind, outcome=filters.outcome, since=filters.since, until=filters.until)
