"""What an administrator's tool policy (mcpgateway.mcp.models.ToolPolicy) may name: the tool groups
(the gateway scopes) and the tools of the real registry, in words for the admin's form; and what the
policies restrict for one person, in words for their dashboard. /mcp reads the policies through
mcpgateway.mcp.selectors' per-epoch cache instead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.signals import pre_save
from django.dispatch import receiver

from mcpgateway.core.scopes import GATEWAY_SCOPE_NAMES, MCP_SCOPES
from mcpgateway.mcp.models import ToolPolicy
from mcpgateway.mcp.selectors import tool_policies_for
from mcpgateway.mcp.tools import TOOLS


def group_choices() -> list[tuple[str, str]]:
    return [(scope, f"{GATEWAY_SCOPE_NAMES[scope]} ({scope})") for scope in MCP_SCOPES]


def tool_choices() -> list[tuple[str, str]]:
    """Every Spotify tool, its group and whether it is destructive (deletes or overwrites)."""
    choices = []
    for name in sorted(TOOLS):
        spec = TOOLS[name]
        (group,) = spec.requirement.gateway_scopes
        destructive = " · destructive" if spec.annotations.destructive_hint else ""
        choices.append((name, f"{name}: {spec.title} ({group}{destructive})"))
    return choices


def policy_problems(*, groups: Iterable[str], tools: Iterable[str]) -> dict[str, str]:
    """What is wrong with a policy's lists, by field, in words; empty when nothing is."""
    problems = {}
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        problems["blocked_groups"] = "Tool groups must be a list of gateway scopes."
    elif unknown := sorted(set(groups) - set(MCP_SCOPES)):
        problems["blocked_groups"] = f"Unknown tool group(s): {', '.join(unknown)}. Choose among {', '.join(MCP_SCOPES)}."
    if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
        problems["blocked_tools"] = "Tools must be a list of tool names."
    elif unknown := sorted(set(tools) - set(TOOLS)):
        problems["blocked_tools"] = f"Unknown tool(s): {', '.join(unknown)}. The gateway has no tool by that name."
    if not problems and not groups and not tools:
        problems["__all__"] = "Choose at least one tool group or tool to restrict."
    return problems


@receiver(pre_save, sender=ToolPolicy, dispatch_uid="tool_policy_check")
def policy_check(sender, instance: ToolPolicy, **kwargs) -> None:
    """Every way of writing a policy (the admin, a shell, a data migration's model) is checked: a
    policy /mcp cannot read would fail open (a string's letters restrict nothing) or fail every call."""
    if problems := policy_problems(groups=instance.blocked_groups, tools=instance.blocked_tools):
        raise ValidationError(problems)


@dataclass(frozen=True)
class RestrictedTools:
    """What the person's dashboard says: each restricted group with its tools, single tools, notes."""

    groups: list[tuple[str, str, list[str]]]  # (scope, plain name, its tools)
    tools: list[str]
    notes: list[str]

    def __bool__(self) -> bool:
        return bool(self.groups or self.tools)


def restricted_tools_for(*, user) -> RestrictedTools:
    policies = tool_policies_for(user=user)
    groups = sorted({group for policy in policies for group in policy.blocked_groups if group in GATEWAY_SCOPE_NAMES})
    in_groups = {name for name, spec in TOOLS.items() if spec.requirement.gateway_scopes & set(groups)}
    return RestrictedTools(
        groups=[
            (group, GATEWAY_SCOPE_NAMES[group], sorted(n for n, s in TOOLS.items() if group in s.requirement.gateway_scopes))
            for group in groups
        ],
        tools=sorted({tool for policy in policies for tool in policy.blocked_tools} - in_groups),
        notes=[policy.note for policy in policies if policy.note],
    )
