"""The ASGI lifespan of a worker (mcpgateway/core/lifespan.py). Its shutdown flush of the audit
writer is tested in tests/mcpgateway/audit/test_tool_calls.py."""

import asyncio
import gc

from mcpgateway.core.lifespan import YOUNG_GENERATION_THRESHOLD, lifespan


def test_startup_freezes_what_the_worker_loaded_so_full_collections_skip_it():
    gc.unfreeze()
    thresholds = gc.get_threshold()
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    try:
        asyncio.run(lifespan({"type": "lifespan"}, receive, send))
        assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        assert gc.get_freeze_count() > 10_000  # Django, the SDK, pydantic's schemas, ...
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *thresholds[1:])  # young collections less often
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
