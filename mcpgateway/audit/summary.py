"""What an audit row keeps of a tool call's arguments (and of any other details): written once, here.

Kept: ids, URIs, names, numbers, booleans; strings are cut to `MAX_STRING` characters (a search
query is free text: its start is enough to recognise it), lists to their first `MAX_ITEMS` items
(with the count), nesting to `MAX_DEPTH`. Never kept: anything under a key that names a secret, and
any string that looks like a gateway token (a personal access token, whatever key it came under).
"""

from __future__ import annotations

import math
from typing import Any

from mcpgateway.core.storable_text import storable_text

MAX_STRING = 64
MAX_ITEMS = 10
MAX_KEYS = 20
MAX_DEPTH = 3
REDACTED = "[redacted]"
# Keys whose values are never kept, whatever they hold: these names, names ending with these
# suffixes, and anything naming a password.
SECRET_KEYS = frozenset({"token", "secret", "authorization", "cookie", "code", "code_verifier", "apikey", "pat", "bearer"})
SECRET_SUFFIXES = ("_token", "_secret", "_key", "_password", "_cookie")
# Gateway personal access tokens start with this (accounts.services.PAT_PREFIX); kept in sync by a test.
TOKEN_PREFIXES = ("smgp_",)


def _secret_key(key: str) -> bool:
    name = key.lower().replace("-", "_")
    return name in SECRET_KEYS or name.endswith(SECRET_SUFFIXES) or "passw" in name


def _string(value: str) -> str:
    """A string as stored: no secret, nothing a database refuses (NUL, lone surrogates), cut short."""
    if value.startswith(TOKEN_PREFIXES):
        return REDACTED
    value = storable_text(value)
    return value if len(value) <= MAX_STRING else value[: MAX_STRING - 1] + "…"


def short_text(value: Any, length: int) -> str:
    """A text column's value from outside (a tool name a client sent): storable, at most `length`."""
    return storable_text(value)[:length] if isinstance(value, str) else ""


def summarise(value: Any, *, depth: int = 0) -> Any:
    """A JSON-storable summary of `value` (tool arguments, details of an event)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        # JSON (PostgreSQL's jsonb above all) has no NaN or infinity, and big ints lose precision.
        return value if math.isfinite(value) and abs(value) < 2**53 else str(value)[:MAX_STRING]
    if isinstance(value, str):
        return _string(value)
    if depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= MAX_KEYS:
                kept["…"] = f"{len(value) - MAX_KEYS} more"
                break
            key = _string(str(key))
            kept[key] = REDACTED if _secret_key(key) else summarise(item, depth=depth + 1)
        return kept
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        kept_items = [summarise(item, depth=depth + 1) for item in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            kept_items.append(f"… {len(items) - MAX_ITEMS} more")
        return kept_items
    return _string(type(value).__name__)
