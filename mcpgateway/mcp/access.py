"""Who may see and call which tool: the one rule, its messages, and where it is enforced.

A tool is usable when no administrator's tool policy restricts it (for everyone or for the person:
its group, that is its gateway scope, or the tool itself), the credential has every gateway scope
the tool needs and the person's Spotify grant has every Spotify scope it needs. `tool_access`
decides that, once, for:

- `tools/list`, which shows only the tools the caller may use, and `tools/call`, which answers a
  refused call with an `isError` result saying what is missing (`ToolAccessMiddleware`);
- the OAuth step-up challenge: the bridge answers a `tools/call` an OAuth token lacks a gateway scope
  for with HTTP 403 `insufficient_scope` (RFC 6750 §3.1, MCP authorization spec "Scope challenge
  handling"), so the client can ask the person for that scope. A tool an administrator restricted
  is never a challenge: no scope the person grants would make it usable.

A person without a Spotify grant sees every tool: the tool itself answers how to connect Spotify.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp_types import CallToolResult, ListToolsResult, TextContent

from mcpgateway.audit.tool_calls import note_refused
from mcpgateway.core.scopes import ALL_MCP_SCOPES
from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.context import current_epoch, current_principal_or_none
from mcpgateway.mcp.selectors import NO_RESTRICTIONS, Restrictions, tool_restrictions_cached


@dataclass(frozen=True)
class ToolRequirement:
    """What a tool needs: gateway scopes on the credential, Spotify scopes on the person's grant."""

    gateway_scopes: frozenset[str] = frozenset()
    spotify_scopes: frozenset[str] = frozenset()


NO_REQUIREMENT = ToolRequirement()


@dataclass(frozen=True)
class Allowed:
    pass


@dataclass(frozen=True)
class Refusal:
    """Why a caller may not use a tool: `lacking` are the missing scopes of kind `reason`."""

    reason: Literal["admin_policy", "gateway_scope", "spotify_scope"]
    lacking: frozenset[str]
    message: str


ALLOWED = Allowed()


def dashboard_url() -> str:
    """Where a person fixes what a refusal names: tokens, the Spotify connection."""
    return f"{settings.PUBLIC_BASE_URL}/"


def tool_access(
    principal: Principal,
    grant_scopes: frozenset[str] | None,
    requirement: ToolRequirement,
    *,
    tool: str,
    restrictions: Restrictions = NO_RESTRICTIONS,
) -> Allowed | Refusal:
    """May `principal` use `tool`, given the administrators' `restrictions` for the person and the
    Spotify scopes of the person's grant?

    `grant_scopes` None: the person has no Spotify grant (or the caller does not check Spotify
    scopes); then only the policies and the gateway scopes decide.
    """
    restricted_groups = requirement.gateway_scopes & restrictions.groups
    if restricted_groups or tool in restrictions.tools:
        what = (
            f"the tool group {', '.join(sorted(restricted_groups))}, which {tool} belongs to"
            if restricted_groups
            else tool
        )
        return Refusal(
            "admin_policy",
            restricted_groups or frozenset({tool}),
            f"An administrator of this gateway restricted {what}: it cannot be used from your account. "
            f"Your dashboard at {dashboard_url()} lists the tools restricted for you.",
        )
    lacking = requirement.gateway_scopes - principal.scopes
    if lacking:
        scopes = ", ".join(sorted(lacking))
        if principal.kind == "oauth":
            message = f"This client was not granted the scope {scopes}, which {tool} needs."
        else:
            message = (
                f"The token this client uses does not have the gateway scope {scopes}, which {tool} needs. "
                f"Create a token with it at {dashboard_url()}."
            )
        return Refusal("gateway_scope", lacking, message)
    if grant_scopes is not None:
        lacking = requirement.spotify_scopes - grant_scopes
        if lacking:
            return Refusal(
                "spotify_scope",
                lacking,
                f"Your Spotify connection does not allow {', '.join(sorted(lacking))}, which {tool} needs. "
                f"Reconnect Spotify at {dashboard_url()} and accept all the permissions asked for.",
            )
    return ALLOWED


async def _restrictions(ctx: Any, user_id: int) -> Restrictions:
    return await tool_restrictions_cached(user_id=user_id, epoch=current_epoch(ctx))


def mcp_access(principal: Principal) -> Refusal | None:
    """A credential with none of the MCP scopes (a personal access token made for the REST API
    only: `api`) is refused at /mcp altogether, before any session row or tool."""
    if principal.scopes & ALL_MCP_SCOPES:
        return None
    return Refusal(
        "gateway_scope",
        ALL_MCP_SCOPES,
        f"This token has none of the MCP scopes ({', '.join(sorted(ALL_MCP_SCOPES))}): it is for the gateway's REST API "
        f"only. Create a token with an MCP scope at {dashboard_url()}.",
    )


async def _grant_scopes(ctx: Any, user_id: int) -> frozenset[str] | None:
    from mcpgateway.spotify.selectors import grant_for_user_cached

    grant = await grant_for_user_cached(user_id=user_id, epoch=current_epoch(ctx))
    return None if grant is None else grant.scope_set


class ToolAccessMiddleware:
    """Server middleware: hides from `tools/list` and refuses on `tools/call` what `tool_access`
    does not allow the request's principal (policies and grant read from per-epoch caches)."""

    def __init__(self, requirements: Mapping[str, ToolRequirement]):
        self.requirements = requirements
        self.needs_grant = any(r.spotify_scopes for r in requirements.values())

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method not in ("tools/list", "tools/call") or not self.requirements:
            return await call_next(ctx)
        principal = current_principal_or_none(ctx)
        if principal is None:
            return await call_next(ctx)
        grant_scopes = await _grant_scopes(ctx, principal.user_id) if self.needs_grant else None
        restrictions = await _restrictions(ctx, principal.user_id)

        def access(name: str) -> Allowed | Refusal:
            requirement = self.requirements.get(name, NO_REQUIREMENT)
            return tool_access(principal, grant_scopes, requirement, tool=name, restrictions=restrictions)

        if ctx.method == "tools/call":
            name = (ctx.params or {}).get("name")
            decision = access(name) if isinstance(name, str) else ALLOWED
            if isinstance(decision, Refusal):
                note_refused(decision.reason)
                return CallToolResult(content=[TextContent(type="text", text=decision.message)], is_error=True)
            return await call_next(ctx)

        result = await call_next(ctx)
        if isinstance(result, ListToolsResult):
            return result.model_copy(update={"tools": [t for t in result.tools if isinstance(access(t.name), Allowed)]})
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            return {**result, "tools": [t for t in result["tools"] if isinstance(access(t.get("name", "")), Allowed)]}
        return result
