"""Recording /mcp tool calls in the audit trail, from memory: nothing here touches the database
(the rows go to mcpgateway.audit.writer, which writes them from its own thread).

`ToolCallAuditMiddleware` (outermost of the MCP server's middleware, mcpgateway.mcp.server) times
every `tools/call` of an authenticated request and records its outcome: `ok`; `error` with the
tool's problem kind as the reason (`note_tool_problem`, called by mcpgateway.mcp.tools.errors) or
`tool_error` for any other error result; `refused` with the missing scope kind (`note_refused`,
called by mcpgateway.mcp.access). The same outcome is counted for /metrics (gateway_mcp_tool_calls),
with AUDIT_TOOL_CALLS off too. The bridge's HTTP 403 scope challenge for OAuth clients never
reaches the server; it records its refusal with `tool_call_refused`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from mcpgateway.core.metrics import MCP_TOOL_CALLS, tool_label
from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.context import SCOPE_CLIENT_NAME, SCOPE_SESSION_ID, current_principal_or_none, request_scope

from . import writer
from .models import AuditEvent
from .summary import short_text, summarise

logger = logging.getLogger(__name__)


@dataclass
class _Note:
    outcome: str = AuditEvent.Outcome.OK
    reason: str = ""


_current: contextvars.ContextVar[_Note | None] = contextvars.ContextVar("mcpgateway_audit_tool_call", default=None)


def note_refused(reason: str) -> None:
    """The gateway refused the tool call being served (`reason`: which kind of scope is missing)."""
    note = _current.get()
    if note is not None:
        note.outcome, note.reason = AuditEvent.Outcome.REFUSED, reason


def note_tool_problem(kind: str) -> None:
    """The tool being served reported a problem (mcpgateway.mcp.tools.errors.ToolProblem.kind)."""
    note = _current.get()
    if note is not None:
        note.outcome, note.reason = AuditEvent.Outcome.ERROR, kind


def _client_ip(scope: dict[str, Any]) -> str | None:
    client = scope.get("client")
    return client[0] if isinstance(client, list | tuple) and client and isinstance(client[0], str) else None


def _record(*, principal: Principal, tool: Any, arguments: Any, outcome: str, reason: str, scope: dict[str, Any],
            occurred_at, duration_ms: int | None, client_name: str | None = None, session_id: str | None = None) -> None:
    writer.submit({
        "occurred_at": occurred_at,
        "kind": AuditEvent.Kind.TOOL_CALL,
        "user_id": principal.user_id,
        "username": principal.username[:150],
        "client_name": short_text(client_name if client_name is not None else scope.get(SCOPE_CLIENT_NAME) or "", 255),
        "credential_id": principal.credential_id[:64],
        "session_id": (session_id if session_id is not None else scope.get(SCOPE_SESSION_ID) or "")[:64],
        "tool": short_text(tool, 100),
        "outcome": outcome,
        "reason": reason[:64],
        "duration_ms": duration_ms,
        "summary": {"arguments": summarise(arguments)} if arguments else {},
        "ip_address": _client_ip(scope),
    })


def tool_call_refused(*, principal: Principal, message: dict[str, Any], reason: str, scope: dict[str, Any],
                      client_name: str, session_id: str | None) -> None:
    """A tools/call the bridge refused before the MCP server saw it (the OAuth scope challenge)."""
    params = message.get("params") if isinstance(message.get("params"), dict) else {}
    MCP_TOOL_CALLS.labels(tool_label(params.get("name")), AuditEvent.Outcome.REFUSED, reason).inc()
    if not settings.AUDIT_TOOL_CALLS:
        return
    try:
        _record(principal=principal, tool=params.get("name"), arguments=params.get("arguments"), outcome=AuditEvent.Outcome.REFUSED,
                reason=reason, scope=scope, occurred_at=timezone.now(), duration_ms=0, client_name=client_name, session_id=session_id or "")
    except Exception as exc:  # noqa: BLE001 - auditing never fails a call
        logger.warning("Could not record a refused tool call (%s)", type(exc).__name__)


def _is_error(result: Any) -> bool:
    if isinstance(result, dict):
        return bool(result.get("isError") or result.get("is_error"))
    return bool(getattr(result, "is_error", False))


class ToolCallAuditMiddleware:
    """MCP server middleware: one audit row per tools/call of an authenticated request."""

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        principal = current_principal_or_none(ctx)
        if principal is None:
            return await call_next(ctx)
        note = _Note()
        token = _current.set(note)
        occurred_at, started = timezone.now(), time.perf_counter()
        try:
            result = await call_next(ctx)
            if note.outcome == AuditEvent.Outcome.OK and _is_error(result):
                note.outcome, note.reason = AuditEvent.Outcome.ERROR, "tool_error"
            return result
        except BaseException as exc:
            if note.outcome == AuditEvent.Outcome.OK:
                note.outcome = AuditEvent.Outcome.ERROR
                note.reason = "cancelled" if isinstance(exc, asyncio.CancelledError) else "protocol_error"
            raise
        finally:
            _current.reset(token)
            params = ctx.params if isinstance(ctx.params, dict) else {}
            MCP_TOOL_CALLS.labels(tool_label(params.get("name")), note.outcome, note.reason or "-").inc()
            try:
                if settings.AUDIT_TOOL_CALLS:
                    _record(principal=principal, tool=params.get("name"), arguments=params.get("arguments"), outcome=note.outcome,
                            reason=note.reason, scope=request_scope(ctx), occurred_at=occurred_at,
                            duration_ms=round((time.perf_counter() - started) * 1000))
            except Exception as exc:  # noqa: BLE001 - auditing never fails a call
                logger.warning("Could not record a tool call (%s)", type(exc).__name__)
