"""Every Spotify tool and what it needs.

A tool module declares each tool with `@spotify_tool(...)`: its gateway scope, the Spotify Web API
operations it calls (OpenAPI operationIds, see `mcpgateway.spotify.api.OPERATIONS`) and its
behaviour hints. The Spotify scopes a tool needs are derived from those operations, so the
requirement cannot drift from what the tool actually calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp_types import ToolAnnotations

from mcpgateway.scopes import ALL_SCOPES
from mcpgateway.spotify.webapi import OPERATIONS


@dataclass(frozen=True)
class ToolRequirement:
    """A tool is usable when the credential has `gateway_scope` and the person's Spotify grant has
    every scope in `spotify_scopes`."""

    gateway_scope: str
    spotify_scopes: frozenset[str]
    operations: tuple[str, ...]


@dataclass(frozen=True)
class SpotifyToolSpec:
    fn: Callable[..., Awaitable[Any]]
    name: str
    title: str
    annotations: ToolAnnotations
    requirement: ToolRequirement


TOOLS: dict[str, SpotifyToolSpec] = {}


def spotify_tool(
    *,
    scope: str,
    operations: tuple[str, ...],
    title: str,
    read_only: bool,
    destructive: bool = False,
    idempotent: bool = False,
    name: str | None = None,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Declare a Spotify tool. `destructive` and `idempotent` are ignored for read-only tools (the
    MCP spec gives them meaning only when readOnlyHint is false); every tool is open-world: it acts
    on Spotify."""
    if scope not in ALL_SCOPES:
        raise ValueError(f"Unknown gateway scope {scope!r}")
    unknown = [op for op in operations if op not in OPERATIONS]
    if unknown or not operations:
        raise ValueError(f"Unknown Spotify operations {unknown}")

    def decorator(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        tool_name = name or fn.__name__
        if tool_name in TOOLS:
            raise ValueError(f"Tool {tool_name!r} declared twice")
        spotify_scopes = frozenset().union(*(OPERATIONS[op].scopes for op in operations))
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=read_only,
            destructive_hint=False if read_only else destructive,
            idempotent_hint=True if read_only else idempotent,
            open_world_hint=True,
        )
        TOOLS[tool_name] = SpotifyToolSpec(
            fn=fn,
            name=tool_name,
            title=title,
            annotations=annotations,
            requirement=ToolRequirement(gateway_scope=scope, spotify_scopes=spotify_scopes, operations=tuple(operations)),
        )
        return fn

    return decorator


def tool_allowed(name: str, *, gateway_scopes, spotify_scopes) -> bool:
    """Whether a caller with these gateway scopes (the credential's) and Spotify scopes (the
    person's grant's) may see and call tool `name`. Unknown tools are not allowed."""
    spec = TOOLS.get(name)
    if spec is None:
        return False
    requirement = spec.requirement
    return requirement.gateway_scope in set(gateway_scopes) and requirement.spotify_scopes <= set(spotify_scopes)
