"""Text from outside (parameters, client metadata, client names) that the gateway may store or look
up: the same rule on SQLite and PostgreSQL.

PostgreSQL refuses NUL (U+0000) in text columns and query parameters, and neither database can
encode a lone surrogate (which a JSON escape such as "\\ud800" produces) as UTF-8; either would be a
500 from the database driver. Endpoints refuse such input with a 4xx, or, for what a client merely
says about itself, keep the rest of it (`storable_text`).
"""

from __future__ import annotations


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, in words for an error message; None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (a lone surrogate)"
    return None


def storable_text(value: str) -> str:
    """`value` without the characters no database stores."""
    return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
