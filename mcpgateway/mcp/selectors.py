"""Reads of administrators' tool policies: for /mcp from a per-process cache valid for one
revocation epoch (saving or deleting a policy moves the epoch), for pages from the database; and
the count of live sessions /metrics reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from mcpgateway.core.revocation import EpochCache
from mcpgateway.mcp.models import McpSession, ToolPolicy


@dataclass(frozen=True)
class Restrictions:
    """What administrators' tool policies (mcpgateway.mcp.models.ToolPolicy) take from one person:
    tool groups (gateway scopes) and single tools."""

    groups: frozenset[str] = frozenset()
    tools: frozenset[str] = frozenset()

    def __or__(self, other: Restrictions) -> Restrictions:
        return Restrictions(self.groups | other.groups, self.tools | other.tools)

    def __bool__(self) -> bool:
        return bool(self.groups or self.tools)


NO_RESTRICTIONS = Restrictions()


@dataclass(frozen=True)
class _PolicyTable:
    everyone: Restrictions = NO_RESTRICTIONS
    by_user: dict[int, Restrictions] = field(default_factory=dict)

    def for_user(self, user_id: int) -> Restrictions:
        return self.everyone | self.by_user.get(user_id, NO_RESTRICTIONS)


def _restrictions_of(policy: ToolPolicy) -> Restrictions:
    return Restrictions(frozenset(policy.blocked_groups or ()), frozenset(policy.blocked_tools or ()))


# Every policy of the gateway in one entry: there are few (an administrator writes each one by
# hand), so one query per epoch and process serves every person.
_policies = EpochCache(size=1)
_TABLE = "policies"


async def _load_table() -> _PolicyTable:
    everyone, by_user = NO_RESTRICTIONS, {}
    async for policy in ToolPolicy.objects.only("user_id", "blocked_groups", "blocked_tools"):
        if policy.user_id is None:
            everyone = everyone | _restrictions_of(policy)
        else:
            by_user[policy.user_id] = by_user.get(policy.user_id, NO_RESTRICTIONS) | _restrictions_of(policy)
    return _PolicyTable(everyone, by_user)


async def tool_restrictions_cached(*, user_id: int, epoch: str | None) -> Restrictions:
    """What the policies restrict for this person as of `epoch`; a query only on a miss."""
    if epoch is None:
        return (await _load_table()).for_user(user_id)
    table = _policies.get(_TABLE, epoch)
    if table is None:
        table = await _load_table()
        _policies.put(_TABLE, table, epoch)
    return table.for_user(user_id)


def tool_policies_for(*, user) -> list[ToolPolicy]:
    """The policies that restrict this person (everyone's and their own), for their dashboard."""
    return list(ToolPolicy.objects.filter(Q(user__isnull=True) | Q(user=user)).order_by("user_id", "created_at"))


def tool_policy_cache_clear() -> None:
    _policies.clear()



def live_session_counts() -> dict[str, int]:
    """Live sessions and connections (not ended, revoked or expired) by kind, every kind named (/metrics)."""
    rows = (McpSession.objects.filter(revoked_at__isnull=True, ended_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
            .values("kind").annotate(n=Count("pk")).order_by())
    counts = dict.fromkeys(McpSession.Kind.values, 0)
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts
