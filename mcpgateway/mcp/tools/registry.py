"""Every Spotify tool and what it needs.

A tool module declares each tool with `@spotify_tool(...)`: its gateway scope, the Spotify Web API
operations it calls (OpenAPI operationIds, see `mcpgateway.spotify.webapi.OPERATIONS`) and its
behaviour hints. The Spotify scopes a tool needs are derived from those operations, so the
requirement cannot drift from what the tool actually calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp_types import ToolAnnotations

from mcpgateway.core.scopes import ALL_MCP_SCOPES
from mcpgateway.mcp.access import ToolRequirement
from mcpgateway.spotify.webapi import OPERATIONS


@dataclass(frozen=True)
class SpotifyToolSpec:
    fn: Callable[..., Awaitable[Any]]
    name: str
    title: str
    annotations: ToolAnnotations
    requirement: ToolRequirement
    operations: tuple[str, ...]  # the Web API operations it calls; `requirement` follows from them


TOOLS: dict[str, SpotifyToolSpec] = {}


def spotify_tool(
    *,
    scope: str,
    operations: tuple[str, ...],
    title: str,
    read_only: bool,
    destructive: bool = False,
    idempotent: bool = False,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Declare a Spotify tool, named after its function. `destructive` and `idempotent` are ignored
    for read-only tools (the MCP spec gives them meaning only when readOnlyHint is false); every
    tool is open-world: it acts on Spotify."""
    if scope not in ALL_MCP_SCOPES:
        raise ValueError(f"Unknown gateway scope {scope!r}")
    unknown = [op for op in operations if op not in OPERATIONS]
    if unknown or not operations:
        raise ValueError(f"Unknown Spotify operations {unknown}")

    def decorator(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        if fn.__name__ in TOOLS:
            raise ValueError(f"Tool {fn.__name__!r} declared twice")
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=read_only,
            destructive_hint=False if read_only else destructive,
            idempotent_hint=True if read_only else idempotent,
            open_world_hint=True,
        )
        TOOLS[fn.__name__] = SpotifyToolSpec(
            fn=fn,
            name=fn.__name__,
            title=title,
            annotations=annotations,
            requirement=ToolRequirement(
                gateway_scopes=frozenset({scope}),
                spotify_scopes=frozenset().union(*(OPERATIONS[op].scopes for op in operations)),
            ),
            operations=tuple(operations),
        )
        return fn

    return decorator
