"""mcpgateway.mcp.legacy_exchange answers a 2025-11-25 request byte for byte as the SDK's stateless
transport does (the same requests down both paths, the replies compared), and leaves every other
request to the SDK."""

import asyncio
import json

import pytest
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from mcpgateway.mcp import legacy_exchange

LEGACY = "2025-11-25"
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream", "mcp-protocol-version": LEGACY}


def build_server() -> MCPServer:
    server = MCPServer("exchange-test")

    @server.tool()
    async def echo(text: str) -> str:
        """Say it back."""
        return text

    @server.tool()
    async def with_progress(ctx: Context, steps: int = 2) -> dict:
        """Report progress and log while working."""
        for step in range(steps):
            await ctx.report_progress(step + 1, steps, f"step {step + 1}")
        await ctx.info("done")
        return {"steps": steps, "nothing": None}

    @server.tool()
    async def fails(ctx: Context) -> str:
        """Raise inside the tool."""
        raise RuntimeError("tool broke")

    @server.tool()
    async def asks_the_client(ctx: Context) -> str:
        """Needs a channel back to the client, which stateless mode does not have."""
        result = await ctx.elicit("Sure?", schema=None)
        return str(result)

    @server.prompt()
    def greeting(name: str) -> str:
        return f"Hello {name}"

    return server


def scope_for(headers: dict[str, str], method: str = "POST") -> dict:
    return {
        "type": "http", "method": method, "path": "/mcp", "raw_path": b"/mcp", "query_string": b"", "root_path": "",
        "scheme": "http", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "http_version": "1.1",
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()] + [(b"host", b"127.0.0.1:8000")],
    }


async def through_the_sdk(manager: StreamableHTTPSessionManager, scope: dict, body: bytes) -> list[dict]:
    sent, delivered = [], False

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    await manager.handle_request(scope, receive, send)
    return sent


async def through_the_exchange(manager: StreamableHTTPSessionManager, server: MCPServer, scope: dict, body: bytes) -> list[dict] | None:
    single = legacy_exchange.single_request(scope, body, json_response=False)
    if single is None:
        return None
    sent = []

    async def send(message):
        sent.append(message)

    await legacy_exchange.answer(server._lowlevel_server, single, send, lifespan_state=manager._lifespan_state)
    return sent


def reply_of(messages: list[dict]) -> tuple[int, dict, bytes]:
    start = messages[0]
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"] if name.lower() != b"content-length"}
    return start["status"], headers, b"".join(m.get("body", b"") for m in messages[1:])


def both_paths(body: dict | bytes | list, headers: dict[str, str] = HEADERS, method: str = "POST"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()

    async def run():
        server = build_server()
        manager = StreamableHTTPSessionManager(app=server._lowlevel_server, stateless=True, json_response=False)
        async with manager.run():
            sdk = await through_the_sdk(manager, scope_for(headers, method), raw)
            exchange = await through_the_exchange(manager, server, scope_for(headers, method), raw)
        return sdk, exchange

    return asyncio.run(run())


def call(name: str, arguments: dict | None = None, *, request_id=7, meta: dict | None = None) -> dict:
    params: dict = {"name": name, "arguments": arguments or {}}
    if meta:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


SAME_BYTES = {
    "a tool's result": call("echo", {"text": "hi ☃ \"quoted\""}),
    "progress and a log notification before the result": call("with_progress", {"steps": 3}, meta={"progressToken": "p-1"}),
    "no progress token: no progress frames": call("with_progress"),
    "a tool that raises (an isError result)": call("fails"),
    "an unknown tool": call("nope"),
    "arguments of the wrong type": call("echo", {"text": 12}),
    "a string id": call("echo", {"text": "x"}, request_id="abc"),
    "a tool that needs the client's channel back": call("asks_the_client"),
    "tools/list": {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    "prompts/get": {"jsonrpc": "2.0", "id": 2, "method": "prompts/get", "params": {"name": "greeting", "arguments": {"name": "Ada"}}},
    "ping": {"jsonrpc": "2.0", "id": 3, "method": "ping"},
    "an unknown method": {"jsonrpc": "2.0", "id": 4, "method": "no/such/method"},
}


@pytest.mark.parametrize("body", SAME_BYTES.values(), ids=SAME_BYTES.keys())
def test_the_exchange_answers_as_the_sdk_does(body):
    sdk, exchange = both_paths(body)
    assert exchange is not None, "this request should take the one-exchange path"
    assert reply_of(exchange) == reply_of(sdk)


SDK_ONLY = {
    "initialize": ({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}, HEADERS, "POST"),
    "a notification": ({"jsonrpc": "2.0", "method": "notifications/initialized"}, HEADERS, "POST"),
    "a batch": ([call("echo", {"text": "a"})], HEADERS, "POST"),
    "not JSON": (b"{nope", HEADERS, "POST"),
    "no protocol version header": (call("echo", {"text": "a"}), {k: v for k, v in HEADERS.items() if k != "mcp-protocol-version"}, "POST"),
    "an unknown protocol version": (call("echo", {"text": "a"}), {**HEADERS, "mcp-protocol-version": "1999-01-01"}, "POST"),
    "JSON not accepted": (call("echo", {"text": "a"}), {**HEADERS, "accept": "text/event-stream"}, "POST"),
    "not sent as JSON": (call("echo", {"text": "a"}), {**HEADERS, "content-type": "text/plain"}, "POST"),
    "a GET": (b"", HEADERS, "GET"),
}


@pytest.mark.parametrize("body, headers, method", SDK_ONLY.values(), ids=SDK_ONLY.keys())
def test_everything_else_is_left_to_the_sdk(body, headers, method):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert legacy_exchange.single_request(scope_for(headers, method), raw, json_response=False) is None


def test_json_response_mode_is_left_to_the_sdk():
    raw = json.dumps(call("echo", {"text": "a"})).encode()
    assert legacy_exchange.single_request(scope_for(HEADERS), raw, json_response=True) is None
    assert legacy_exchange.single_request(scope_for(HEADERS), raw, json_response=False) is not None
