"""Sending a Django response over ASGI ourselves, where the code answers below Django's handler (the
/mcp handler, the request body limits): what Django's ASGIHandler.send_response sends, minus cookies
(none of these replies sets one)."""

from __future__ import annotations

from contextlib import aclosing

# Django's chunk size for a streamed reply's parts (ASGIHandler.chunk_size).
CHUNK_SIZE = 2**16


async def send_response(send, response, *, extra_headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    headers.extend(extra_headers)
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    if not response.streaming:
        await send({"type": "http.response.body", "body": response.content})
        return
    async with aclosing(aiter(response)) as content:
        async for part in content:
            for start in range(0, len(part), CHUNK_SIZE):
                await send({"type": "http.response.body", "body": part[start:start + CHUNK_SIZE], "more_body": True})
    await send({"type": "http.response.body"})
