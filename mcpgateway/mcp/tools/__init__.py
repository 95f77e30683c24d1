"""The Spotify tools `/mcp` offers.

- `register_tools(server)` adds every tool to an `MCPServer`.
- `TOOL_REQUIREMENTS`: tool name -> `ToolRequirement` (mcpgateway.mcp.access), what the server's
  `ToolAccessMiddleware` and the bridge's scope challenge enforce.
- `TOOLS` (registry.py): each tool's declaration, including the Web API operations it calls.

Tools live in modules by area (catalog, me, player, playlists, library); each is a typed function
whose signature is its input schema and whose return model is its output schema, declared with
`@spotify_tool(...)` (registry.py) next to it.
"""

from __future__ import annotations

import inspect

from mcp.server.mcpserver import MCPServer

from mcpgateway.mcp.access import ToolRequirement

from . import catalog, library, me, player, playlists  # noqa: F401 - importing declares the tools
from .errors import reported_as_results
from .registry import TOOLS

TOOL_REQUIREMENTS: dict[str, ToolRequirement] = {name: spec.requirement for name, spec in TOOLS.items()}


def register_tools(server: MCPServer) -> None:
    for spec in TOOLS.values():
        server.add_tool(
            reported_as_results(spec.name, spec.fn),
            name=spec.name,
            title=spec.title,
            description=inspect.cleandoc(spec.fn.__doc__ or ""),
            annotations=spec.annotations,
        )


__all__ = ["TOOLS", "TOOL_REQUIREMENTS", "register_tools"]
