"""The ASGI lifespan protocol (uvicorn `--lifespan on`): Django's handler refuses lifespan scopes,
so config/asgi.py answers them here.

Startup freezes the garbage collector's view of what the worker loaded (gc.freeze): Django, the
SDK, pydantic's schemas and the rest, about 150,000 objects that live as long as the process.
Unfrozen, every full collection walks them all: one gc.collect() of a freshly loaded worker took
137 ms on the (busy) development machine, 0.06 ms once they were frozen (README, "Tail latency
under wrk", for what the bench does and does not show of it).
(The MCP SDK itself starts lazily, per event loop: mcpgateway.mcp.runtime.) Shutdown
comes after uvicorn stopped taking requests and let the running ones finish, and before the process
ends (uvicorn then re-raises SIGTERM, which skips atexit): what is still buffered must be written
now, namely the audit writer's tool-call rows (mcpgateway.audit.writer).
"""

from __future__ import annotations

import asyncio
import gc


async def lifespan(scope, receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            freeze_what_is_loaded()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            from mcpgateway.audit.writer import flush

            try:
                await asyncio.to_thread(flush)  # the ORM, off the event loop; never raises
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return


# CPython collects the young generation every 700 net allocations of tracked objects; one /mcp
# request makes a few thousand (the request, pydantic models, the SDK's per-request streams and
# tasks), nearly all freed by reference counting when it ends. Collecting every 10,000 instead
# walks the objects of the requests in flight about 14 times less often, and the older
# generations' collections, which count young ones, follow.
YOUNG_GENERATION_THRESHOLD = 10_000


def freeze_what_is_loaded() -> None:
    """Move every object alive now out of the garbage collector's sight for good (gc.freeze): at
    startup, and once more when the MCP SDK has started (its server, schemas and task group come
    with the first /mcp request), so full collections walk only what requests create."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
