"""The fixture MCP server the official conformance suite expects (its "everything server": tool,
resource and prompt names are the suite's), served through the gateway's own bridge at
/mcp-conformance by the test settings (config/settings_test.py: MCP_EXTRA_ENDPOINTS)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import mcp_types as types
from django.conf import settings
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import UserMessage
from pydantic import BaseModel, Field

from mcpgateway.mcp.bridge import McpEndpoint

TEST_IMAGE_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
TEST_AUDIO_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="


class UserResponse(BaseModel):
    response: str = Field(description="User's response")


def build_fixture_server() -> MCPServer:
    mcp = MCPServer("mcp-conformance-test-server")

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
