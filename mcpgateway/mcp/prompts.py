"""`prompts/get` errors as the MCP spec names them, for every server the bridge serves.

MCP 2025-11-25 server/prompts, "Error Handling": an invalid prompt name or missing required
arguments are -32602 (Invalid params). The SDK's MCPServer raises a plain ValueError for both, which
reaches the client as code 0 (2025-11-25) or -32603 (2026-07-28) and logs a traceback. This server
middleware answers them first; what a prompt itself raises is left to the SDK.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS


class PromptLookupMiddleware:
    def __init__(self, server: MCPServer):
        self.server = server

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params if isinstance(ctx.params, dict) else {}
        name, arguments = params.get("name"), params.get("arguments") or {}
        if (
            ctx.method != "prompts/get"
            or self.server._lowlevel_server.get_request_handler("prompts/get") is None  # -32601, the SDK's answer
            or not isinstance(name, str)
            or not isinstance(arguments, dict)  # malformed params: the SDK's validation answers -32602
        ):
            return await call_next(ctx)
        prompt = next((p for p in await self.server.list_prompts() if p.name == name), None)
        if prompt is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {name}", data={"name": name})
        missing = sorted(a.name for a in prompt.arguments or () if a.required and a.name not in arguments)
        if missing:
            raise MCPError(code=INVALID_PARAMS, message=f"Missing required arguments of {name}: {', '.join(missing)}",
                           data={"name": name, "missing": missing})
        return await call_next(ctx)
