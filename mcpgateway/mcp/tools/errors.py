"""Spotify problems as tool results a person can act on.

MCP separates protocol errors (the request itself is broken) from tool execution errors, which are
results with `isError: true` so the model sees them and can react (MCP spec 2025-11-25, "Tools" >
"Error Handling"). Everything that goes wrong on Spotify's side, with the grant, or with the
arguments' content is the second kind: `reported_as_results` turns it into a `CallToolResult` with
`isError` and a message that says what happened and what to do. The message never carries a
token (the exceptions it is built from never do).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from mcp_types import CallToolResult, TextContent

from mcpgateway.audit.tool_calls import note_tool_problem
from mcpgateway.mcp.access import dashboard_url
from mcpgateway.spotify.transport import SpotifyError, SpotifyRateLimited, SpotifyUnavailable

logger = logging.getLogger("mcpgateway.mcp.tools")

P = ParamSpec("P")
R = TypeVar("R")


class ToolProblem(Exception):
    """A problem to report to the caller as a tool result with `isError`.

    `kind` is a stable word for tests and logs: invalid_input, not_connected, needs_reconnect,
    scope_missing, premium_required, no_active_device, forbidden, not_found, rate_limited,
    unavailable, rejected.
    """

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind


def not_connected() -> ToolProblem:
    return ToolProblem(
        f"Spotify is not connected to your gateway account yet. Connect it at {dashboard_url()}, then try again.",
        kind="not_connected",
    )


def needs_reconnect() -> ToolProblem:
    return ToolProblem(
        f"Your Spotify connection has expired or was revoked. Reconnect Spotify at {dashboard_url()} and try again.",
        kind="needs_reconnect",
    )


def problem_from_grant(exc: Exception) -> ToolProblem:
    from mcpgateway.spotify.services import GrantNeedsReconnect

    if isinstance(exc, GrantNeedsReconnect):
        return needs_reconnect()
    retry = getattr(exc, "retry_after", None)
    when = f" in about {int(retry) + 1} seconds" if retry else " in a minute"
    return ToolProblem(
        f"The gateway could not renew your Spotify access just now (Spotify did not answer as expected). Try again{when}; "
        f"if it keeps failing, reconnect Spotify at {dashboard_url()}.",
        kind="unavailable",
    )


def problem_from_spotify(exc: SpotifyError, *, forbidden: str | None = None, not_found: str | None = None) -> ToolProblem:
    """The person-facing problem for a Spotify error.

    `forbidden` and `not_found` are the tool's own words for a 403 and a 404 (e.g. "you do not own
    this playlist"), used when Spotify gives no more specific reason.
    """
    reason = (exc.reason or "").upper()
    spotify_says = f" (Spotify said: {exc.message})" if exc.message else ""
    if isinstance(exc, SpotifyRateLimited):
        wait = f" Try again in {int(exc.retry_after) + 1} seconds." if exc.retry_after else " Try again in a little while."
        return ToolProblem(f"Spotify is limiting how often the gateway may call it right now.{wait}", kind="rate_limited")
    if isinstance(exc, SpotifyUnavailable):
        return ToolProblem(
            f"Spotify is not answering properly right now{spotify_says}. This is on Spotify's side; try again in a minute.",
            kind="unavailable",
        )
    if exc.status is None:  # our own check of the arguments, before sending
        return ToolProblem(exc.message, kind="invalid_input")
    if reason == "PREMIUM_REQUIRED":
        return ToolProblem(
            "This needs Spotify Premium: Spotify lets only Premium accounts control playback from other apps. "
            "Reading what is playing, search, playlists and the library still work.",
            kind="premium_required",
        )
    if reason == "NO_ACTIVE_DEVICE":
        return ToolProblem(
            "No Spotify device is active. Open Spotify on a phone, computer or speaker (or pass a device_id from get_devices) and try again.",
            kind="no_active_device",
        )
    if exc.status == 401:
        return ToolProblem(
            f"Spotify no longer accepts the gateway's access to your account. Reconnect Spotify at {dashboard_url()} and try again.",
            kind="needs_reconnect",
        )
    if exc.status == 403:
        if "scope" in exc.message.lower():
            return ToolProblem(
                f"Your Spotify connection does not include the permission this needs. Reconnect Spotify at {dashboard_url()} "
                "and accept all the permissions asked for.",
                kind="scope_missing",
            )
        return ToolProblem(f"{forbidden or 'Spotify does not allow this for your account.'}{spotify_says}", kind="forbidden")
    if exc.status == 404:
        return ToolProblem(f"{not_found or 'Spotify has nothing with that id.'}{spotify_says}", kind="not_found")
    return ToolProblem(f"Spotify refused the request{spotify_says}.", kind="rejected")


@contextmanager
def spotify_errors(*, forbidden: str | None = None, not_found: str | None = None) -> Iterator[None]:
    """Within the block, Spotify errors become problems worded for this tool."""
    try:
        yield
    except SpotifyError as exc:
        raise problem_from_spotify(exc, forbidden=forbidden, not_found=not_found) from exc


def reported_as_results(name: str, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | CallToolResult]]:
    """Wrap tool `fn` so its anticipated failures come back as `isError` results.

    The SDK turns a raised `ToolError` into such a result too, but prefixes the message with
    "Error executing tool <name>"; returning the result ourselves keeps the message as written.
    Anything else still propagates, and the SDK reports it as a crash (generic message, logged).
    """
    from mcpgateway.spotify.services import GrantNeedsReconnect, GrantRefreshFailed

    @functools.wraps(fn)
    async def tool(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except ToolProblem as exc:
            problem = exc
        except SpotifyError as exc:
            problem = problem_from_spotify(exc)
        except (GrantNeedsReconnect, GrantRefreshFailed) as exc:
            problem = problem_from_grant(exc)
        logger.info("Tool %s: %s", name, problem.kind)
        note_tool_problem(problem.kind)
        return CallToolResult(content=[TextContent(type="text", text=problem.message)], is_error=True)

    return tool
