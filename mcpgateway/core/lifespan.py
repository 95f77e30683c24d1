"""The ASGI lifespan protocol (uvicorn `--lifespan on`): Django's handler refuses lifespan scopes,
so config/asgi.py answers them here.

Startup needs nothing (the MCP SDK starts lazily, per event loop: mcpgateway.mcp.runtime). Shutdown
comes after uvicorn stopped taking requests and let the running ones finish, and before the process
ends (uvicorn then re-raises SIGTERM, which skips atexit): what is still buffered must be written
now, namely the audit writer's tool-call rows (mcpgateway.audit.writer).
"""

from __future__ import annotations

import asyncio


async def lifespan(scope, receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            from mcpgateway.audit.writer import flush

            try:
                await asyncio.to_thread(flush)  # the ORM, off the event loop; never raises
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return
