"""Admin actions leave Django's LogEntry, and through it an audit row (mcpgateway.audit.signals).

`AuditedAdminMixin`, on the gateway's ModelAdmins: a bulk deletion logs one entry per object
(Django's own bulk-creates them, which sends no signal, so no audit row would follow).
`log_admin_action(model_admin, request, objects, message)`: what the gateway's custom admin actions
(revoke, disconnect, refresh) call for the objects they acted on.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.admin.models import DELETION, LogEntry


class AuditedAdminMixin:
    def log_deletions(self, request, queryset):
        return [
            LogEntry.objects.log_actions(user_id=request.user.pk, queryset=[obj], action_flag=DELETION, single_object=True)
            for obj in queryset
        ]


def log_admin_action(model_admin, request, objects: Iterable, message: str) -> None:
    """One LogEntry (a change, with `message`) per object an admin action acted on."""
    for obj in objects:
        model_admin.log_change(request, obj, message)
