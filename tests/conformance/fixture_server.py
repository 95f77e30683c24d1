"""The fixture MCP server the official conformance suite expects (its "everything server": tool,
resource and prompt names are the suite's), served through the gateway's own bridge at
/mcp-conformance by the test settings (config/settings_test.py: MCP_EXTRA_ENDPOINTS).

It serves what the scenarios of both suites (0.1 and 0.2) call, in both eras; the 2026-07-28
multi-round-trip tools (`test_input_required_result_*`, SEP-2322) answer with `InputRequiredResult`s
whose `requestState` the SDK seals, so any retry may reach any worker."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Annotated, Any

import mcp_types as types
from django.conf import settings
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, Field

from mcpgateway.mcp.bridge import McpEndpoint

TEST_IMAGE_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
TEST_AUDIO_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="


class UserResponse(BaseModel):
    response: str = Field(description="User's response")


# The suite's json-schema-2020-12 scenario checks that these keywords reach the tool listing intact.
JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef", "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        },
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


# --- 2026-07-28 multi-round-trip requests (SEP-2322) ----------------------------------------------

def ask(message: str, field: str, field_type: str = "string") -> types.ElicitRequest:
    schema = {"type": "object", "properties": {field: {"type": field_type}}, "required": [field]}
    return types.ElicitRequest(params=types.ElicitRequestFormParams(message=message, requested_schema=schema))


def sample(text: str, max_tokens: int) -> types.CreateMessageRequest:
    message = types.SamplingMessage(role="user", content=types.TextContent(type="text", text=text))
    return types.CreateMessageRequest(params=types.CreateMessageRequestParams(messages=[message], max_tokens=max_tokens))


def list_roots() -> types.ListRootsRequest:
    return types.ListRootsRequest(params=types.RequestParams())


# Which declared client capability each kind of input request needs.
CAPABILITY_OF = {"elicitation/create": "elicitation", "sampling/createMessage": "sampling", "roots/list": "roots"}


def missing_capability(capability: str) -> MCPError:
    data = types.MissingRequiredClientCapabilityErrorData(required_capabilities=types.ClientCapabilities(**{capability: {}}))
    return MCPError(code=types.MISSING_REQUIRED_CLIENT_CAPABILITY, message=f"This needs the client capability {capability!r}",
                    data=data.model_dump(by_alias=True, mode="json", exclude_none=True))


def input_required(ctx: Context, requests: dict[str, types.InputRequest], state: str | None = None) -> types.InputRequiredResult:
    """Ask for what the client declared it can answer, never more (SEP-2322): a request it cannot
    answer is left out, and with none left the call fails with -32021."""
    declared = ctx.client_capabilities or types.ClientCapabilities()
    answerable = {key: r for key, r in requests.items() if getattr(declared, CAPABILITY_OF[r.method]) is not None}
    if not answerable:
        raise missing_capability(CAPABILITY_OF[next(iter(requests.values())).method])
    return types.InputRequiredResult(input_requests=answerable, request_state=state)


def answers(ctx: Context) -> dict[str, Any]:
    return dict(ctx.input_responses or {})


def elicited(answer: Any, field: str) -> Any:
    return (answer.content or {}).get(field) if isinstance(answer, types.ElicitResult) else None


def confirmed(ctx: Context, state: str, reply: str) -> str | types.InputRequiredResult:
    """`reply` once the client confirmed and echoed `state`; until then, the question with `state`."""
    if ctx.request_state != state or "confirm" not in answers(ctx):
        return input_required(ctx, {"confirm": ask("Please confirm", "ok", "boolean")}, state=state)
    return reply


def build_fixture_server() -> MCPServer:
    mcp = MCPServer("mcp-conformance-test-server", version="1.0.0")

    @mcp.tool()
    def test_simple_text() -> str:
        """Tests simple text content response"""
        return "This is a simple text response for testing."

    @mcp.tool()
    def test_image_content() -> list[types.ImageContent]:
        """Tests image content response"""
        return [types.ImageContent(type="image", data=TEST_IMAGE_BASE64, mime_type="image/png")]

    @mcp.tool()
    def test_audio_content() -> list[types.AudioContent]:
        """Tests audio content response"""
        return [types.AudioContent(type="audio", data=TEST_AUDIO_BASE64, mime_type="audio/wav")]

    @mcp.tool()
    def test_embedded_resource() -> list[types.EmbeddedResource]:
        """Tests embedded resource content response"""
        return [
            types.EmbeddedResource(
                type="resource",
                resource=types.TextResourceContents(
                    uri="test://embedded-resource", mime_type="text/plain", text="This is an embedded resource content."
                ),
            )
        ]

    @mcp.tool()
    def test_multiple_content_types() -> list[types.TextContent | types.ImageContent | types.EmbeddedResource]:
        """Tests response with multiple content types (text, image, resource)"""
        return [
            types.TextContent(type="text", text="Multiple content types test:"),
            types.ImageContent(type="image", data=TEST_IMAGE_BASE64, mime_type="image/png"),
            types.EmbeddedResource(
                type="resource",
                resource=types.TextResourceContents(
                    uri="test://mixed-content-resource", mime_type="application/json", text='{"test": "data", "value": 123}'
                ),
            ),
        ]

    @mcp.tool()
    async def test_tool_with_logging(ctx: Context) -> str:
        """Tests tool that emits log messages during execution"""
        for text in ("Tool execution started", "Tool processing data", "Tool execution completed"):
            await ctx.log("info", text)
            await asyncio.sleep(0.05)
        return "Tool with logging executed successfully"

    @mcp.tool()
    async def test_tool_with_progress(ctx: Context) -> str:
        """Tests tool that reports progress notifications"""
        for step in (0, 50, 100):
            await ctx.report_progress(progress=step, total=100, message=f"Completed step {step} of 100")
            if step != 100:
                await asyncio.sleep(0.05)
        meta = ctx.request_context.meta
        return str(meta.get("progressToken", 0) if isinstance(meta, dict) else getattr(meta, "progress_token", 0))

    @mcp.tool()
    async def test_slow_progress(steps: int = 3, delay: float = 0.5, ctx: Context = None) -> str:
        """Gateway test: reports progress `steps` times, `delay` seconds apart (SSE must stream it)."""
        for step in range(steps):
            await ctx.report_progress(progress=step + 1, total=steps, message=f"step {step + 1}")
            await asyncio.sleep(delay)
        return "done"

    @mcp.tool()
    async def test_reconnection(ctx: Context) -> str:
        """Closes its SSE stream mid-call, so the client resumes it (SEP-1699; needs an event store)"""
        await ctx.close_sse_stream()
        await asyncio.sleep(0.1)
        return "Reconnection test completed"

    @mcp.tool()
    async def test_sampling(prompt: str, ctx: Context) -> str:
        """Tests server-initiated sampling (LLM completion request)"""
        try:
            result = await ctx.session.create_message(
                messages=[types.SamplingMessage(role="user", content=types.TextContent(type="text", text=prompt))],
                max_tokens=100,
            )
            text = result.content.text if getattr(result.content, "type", "") == "text" else "No response"
            return f"LLM response: {text}"
        except Exception as exc:  # noqa: BLE001 - the suite checks the reply text
            return f"Sampling not supported or error: {exc}"

    @mcp.tool()
    async def test_elicitation(message: str, ctx: Context) -> str:
        """Tests server-initiated elicitation (user input request)"""
        try:
            result = await ctx.elicit(message=message, schema=UserResponse)
            content = result.data.model_dump_json() if result.action == "accept" else "{}"
            return f"User response: action={result.action}, content={content}"
        except Exception as exc:  # noqa: BLE001
            return f"Elicitation not supported or error: {exc}"

    @mcp.tool()
    def test_error_handling() -> str:
        """Tests error response handling"""
        raise ToolError("This tool intentionally returns an error for testing")

    @mcp.tool()
    def json_schema_2020_12_tool(name: str = "") -> str:
        """Tool with JSON Schema 2020-12 features"""
        return f"Received {name}"

    @mcp.tool()
    def test_custom_headers(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]) -> str:
        """2026-07-28 custom headers (SEP-2243): `region` travels in the Mcp-Param-Region header too"""
        return f"Region: {region}"

    @mcp.tool()
    def test_missing_capability(ctx: Context) -> str:
        """Needs the client's sampling capability; without it: -32021 (SEP-2575)"""
        if (ctx.client_capabilities or types.ClientCapabilities()).sampling is None:
            raise missing_capability("sampling")
        return "The client declared sampling"

    @mcp.tool()
    async def test_trigger_tool_change(ctx: Context) -> str:
        """Tells subscriptions/listen streams that the tool list changed"""
        await ctx.notify_tools_changed()
        return "tools/list_changed sent"

    @mcp.tool()
    async def test_trigger_prompt_change(ctx: Context) -> str:
        """Tells subscriptions/listen streams that the prompt list changed"""
        await ctx.notify_prompts_changed()
        return "prompts/list_changed sent"

    @mcp.tool()
    def test_input_required_result_elicitation(ctx: Context) -> str | types.InputRequiredResult:
        """Asks the person's name (one elicitation), then greets them"""
        name = elicited(answers(ctx).get("user_name"), "name")
        if name is None:
            return input_required(ctx, {"user_name": ask("What is your name?", "name")})
        return f"Hello, {name}!"

    @mcp.tool()
    def test_input_required_result_sampling(ctx: Context) -> str | types.InputRequiredResult:
        """Asks the client's model a question (one sampling request), then repeats the answer"""
        answer = answers(ctx).get("capital_question")
        if not isinstance(answer, types.CreateMessageResult):
            return input_required(ctx, {"capital_question": sample("What is the capital of France?", 100)})
        return f"The model said: {getattr(answer.content, 'text', '')}"

    @mcp.tool()
    def test_input_required_result_list_roots(ctx: Context) -> str | types.InputRequiredResult:
        """Asks for the client's roots, then names them"""
        answer = answers(ctx).get("client_roots")
        if not isinstance(answer, types.ListRootsResult):
            return input_required(ctx, {"client_roots": list_roots()})
        return "Roots: " + ", ".join(str(root.uri) for root in answer.roots)

    @mcp.tool()
    def test_input_required_result_request_state(ctx: Context) -> str | types.InputRequiredResult:
        """Asks for a confirmation with a requestState, and checks the state that comes back"""
        return confirmed(ctx, "awaiting-confirmation", "state-ok: confirmed")

    @mcp.tool()
    def test_input_required_result_multiple_inputs(ctx: Context) -> str | types.InputRequiredResult:
        """Asks for an elicitation, a sampling and the roots in one round"""
        requests = {"user_name": ask("What is your name?", "name"), "greeting": sample("Generate a greeting", 50),
                    "client_roots": list_roots()}
        given = answers(ctx)
        if ctx.request_state != "multiple-inputs" or not set(requests) <= set(given):
            return input_required(ctx, requests, state="multiple-inputs")
        return f"All inputs received from {elicited(given['user_name'], 'name')}"

    @mcp.tool()
    def test_input_required_result_multi_round(ctx: Context) -> str | types.InputRequiredResult:
        """Asks two questions in two rounds, carrying the first answer in the requestState"""
        state, given = ctx.request_state or "", answers(ctx)
        if state.startswith("round-2:") and elicited(given.get("step2"), "color") is not None:
            return f"{state.removeprefix('round-2:')} likes {elicited(given['step2'], 'color')}"
        if state == "round-1" and elicited(given.get("step1"), "name") is not None:
            return input_required(ctx, {"step2": ask("Step 2: What is your favorite color?", "color")},
                                  state=f"round-2:{elicited(given['step1'], 'name')}")
        return input_required(ctx, {"step1": ask("Step 1: What is your name?", "name")}, state="round-1")

    @mcp.tool()
    def test_input_required_result_tampered_state(ctx: Context) -> str | types.InputRequiredResult:
        """Asks for a confirmation with a sealed requestState (the SDK refuses a tampered one)"""
        return confirmed(ctx, "sealed", "Confirmed with an intact state")

    @mcp.tool()
    def test_input_required_result_capabilities(ctx: Context) -> str | types.InputRequiredResult:
        """Asks for an elicitation and a sampling, of which only what the client declared"""
        if answers(ctx):
            return "Received what the client could answer"
        return input_required(ctx, {"user_name": ask("What is your name?", "name"),
                                     "greeting": sample("Generate a greeting", 50)})

    @mcp.prompt()
    def test_input_required_result_prompt(ctx: Context) -> list[UserMessage] | types.InputRequiredResult:
        """A prompt that asks the person for its context first"""
        context = elicited(answers(ctx).get("user_context"), "context")
        if context is None:
            return input_required(ctx, {"user_context": ask("What context should the prompt use?", "context")})
        return [UserMessage(role="user", content=types.TextContent(type="text", text=f"Use this context: {context}"))]

    @mcp.resource("test://static-text")
    def static_text_resource() -> str:
        """A static text resource for testing"""
        return "This is the content of the static text resource."

    @mcp.resource("test://static-binary")
    def static_binary_resource() -> bytes:
        """A static binary resource (image) for testing"""
        return base64.b64decode(TEST_IMAGE_BASE64)

    @mcp.resource("test://template/{id}/data")
    def template_resource(id: str) -> str:
        """A resource template with parameter substitution"""
        return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})

    @mcp.resource("test://watched-resource")
    def watched_resource() -> str:
        """A resource that can be subscribed to for updates"""
        return "Watched resource content"

    @mcp.prompt()
    def test_simple_prompt() -> list[UserMessage]:
        """A simple prompt without arguments"""
        return [UserMessage(role="user", content=types.TextContent(type="text", text="This is a simple prompt for testing."))]

    @mcp.prompt()
    def test_prompt_with_arguments(arg1: str, arg2: str) -> list[UserMessage]:
        """A prompt with required arguments"""
        text = f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"
        return [UserMessage(role="user", content=types.TextContent(type="text", text=text))]

    @mcp.prompt()
    def test_prompt_with_embedded_resource(resourceUri: str) -> list[UserMessage]:  # noqa: N803 - the suite's name
        """A prompt that includes an embedded resource"""
        resource = types.TextResourceContents(uri=resourceUri, mime_type="text/plain", text="Embedded resource content for testing.")
        return [
            UserMessage(role="user", content=types.EmbeddedResource(type="resource", resource=resource)),
            UserMessage(role="user", content=types.TextContent(type="text", text="Please process the embedded resource above.")),
        ]

    @mcp.prompt()
    def test_prompt_with_image() -> list[UserMessage]:
        """A prompt that includes image content"""
        return [
            UserMessage(role="user", content=types.ImageContent(type="image", data=TEST_IMAGE_BASE64, mime_type="image/png")),
            UserMessage(role="user", content=types.TextContent(type="text", text="Please analyze the image above.")),
        ]

    @mcp.completion()
    async def complete(ref: Any, argument: Any, context: Any) -> types.Completion:
        return types.Completion(values=[], total=0, has_more=False)

    async def empty(ctx: ServerRequestContext[Any, Any], params: Any) -> types.EmptyResult:
        return types.EmptyResult()

    # The suite checks the schema itself, which no Python signature spells.
    mcp._tool_manager.get_tool("json_schema_2020_12_tool").parameters = JSON_SCHEMA_2020_12

    lowlevel = mcp._lowlevel_server
    lowlevel.add_request_handler("logging/setLevel", types.SetLevelRequestParams, empty)
    lowlevel.add_request_handler("resources/subscribe", types.SubscribeRequestParams, empty)
    lowlevel.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams, empty)
    return mcp


class ConformanceEndpoint(McpEndpoint):
    """The suite sends no token: a request without an Authorization header acts as the owner of
    settings.MCP_CONFORMANCE_TOKEN, and goes through gateway sessions like any client."""

    def bearer_token(self, request):
        if "Authorization" not in request.headers and settings.MCP_CONFORMANCE_TOKEN:
            return settings.MCP_CONFORMANCE_TOKEN
        return super().bearer_token(request)


conformance_endpoint = ConformanceEndpoint(build_fixture_server)
