"""The Spotify tools `/mcp` offers.

- `register_tools(server)` adds every tool to an `MCPServer` and declares what each needs with the
  server's `tool_requires`, so the gateway hides and refuses tools the caller may not use.
- `TOOL_REQUIREMENTS`: tool name -> `ToolRequirement` (gateway scope, Spotify scopes, the Web API
  operations it calls).
- `tool_allowed(name, gateway_scopes=..., spotify_scopes=...)`: the same decision as a predicate.

Tools live in modules by area (catalog, me, player, playlists, library); each is a typed function
whose signature is its input schema and whose return model is its output schema.
"""

from __future__ import annotations

import inspect

from mcp.server.mcpserver import MCPServer

from . import catalog, library, me, player, playlists  # noqa: F401 - importing declares the tools
from .errors import reported_as_results
from .registry import TOOLS, ToolRequirement, tool_allowed

TOOL_REQUIREMENTS: dict[str, ToolRequirement] = {name: spec.requirement for name, spec in TOOLS.items()}


def register_tools(server: MCPServer) -> None:
    from mcpgateway.mcp.server import tool_requires

    for spec in TOOLS.values():
        server.add_tool(
            reported_as_results(spec.name, spec.fn),
            name=spec.name,
            title=spec.title,
            description=inspect.cleandoc(spec.fn.__doc__ or ""),
            annotations=spec.annotations,
        )
        tool_requires(
            server, spec.name, gateway_scopes={spec.requirement.gateway_scope}, spotify_scopes=spec.requirement.spotify_scopes
        )


__all__ = ["TOOL_REQUIREMENTS", "ToolRequirement", "register_tools", "tool_allowed"]
