"""Template filters of the person-facing pages: relative times and plain-language scope names."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from mcpgateway.core.scopes import SCOPE_NAMES

register = template.Library()

_UNITS = (("year", 31536000), ("month", 2592000), ("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60))


def relative_words(when: datetime, now: datetime | None = None) -> str:
    """The words static/js/relative-time.js writes too: "3 minutes ago", "in 2 days", "just now"."""
    seconds = ((now or timezone.now()) - when).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "in less than a minute" if future else "just now"
    for unit, size in _UNITS:
        count = int(seconds // size)
        if count >= 1:
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"  # pragma: no cover (a minute or more always matches a unit)


@register.filter
def reltime(when, default="never"):
    """<time datetime=ISO title=absolute>3 minutes ago</time>, kept current by relative-time.js."""
    if not when:
        return default
    return format_html(
        '<time datetime="{}" title="{}" data-relative>{}</time>',
        when.isoformat(), timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S %Z"), relative_words(when),
    )


@register.filter
def scope_names(scopes):
    """(raw id, plain-language name) of each scope of a space-separated string or an iterable."""
    if isinstance(scopes, str):
        scopes = scopes.split()
    return [(scope, SCOPE_NAMES.get(scope, scope)) for scope in sorted(scopes or ())]
