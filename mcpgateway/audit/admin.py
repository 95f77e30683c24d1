"""Admin for the audit trail: read-only, searchable and filterable, and exportable as CSV (the
filtered rows, streamed)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone

from .models import AuditEvent

CSV_COLUMNS = (
    "occurred_at", "kind", "username", "actor_username", "client_name", "credential_id", "session_id", "tool",
    "outcome", "reason", "duration_ms", "ip_address", "summary",
)
# A cell a spreadsheet would run as a formula (a client names itself; a username is typed): quoted.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(queryset) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row in queryset.values_list(*CSV_COLUMNS).iterator(chunk_size=2000):
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(queryset) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    return response


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "username", "kind", "client_name", "tool", "outcome", "reason", "duration_ms", "actor_username", "ip_address")
    list_filter = ("kind", "outcome", "user")
    search_fields = ("username", "actor_username", "client_name", "tool", "reason", "credential_id", "session_id", "ip_address")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    show_full_result_count = False  # a COUNT(*) of the whole trail on every page is not worth it
    actions = ("export_csv",)
    change_list_template = "admin/mcpgateway/auditevent/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # rows go only by the retention purge (AUDIT_RETENTION_DAYS)

    def get_urls(self):
        export = path("export.csv", self.admin_site.admin_view(self.export_view), name="mcpgateway_auditevent_export")
        return [export, *super().get_urls()]

    def export_view(self, request):
        """Every row the change list shows with the same filters and search (all pages), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("These filters are not valid for audit events.", content_type="text/plain")
        return csv_response(changelist.get_queryset(request))

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        export_url = reverse("admin:mcpgateway_auditevent_export") + (f"?{query}" if query else "")
        return super().changelist_view(request, {**(extra_context or {}), "export_url": export_url})

    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        return csv_response(queryset.order_by("-occurred_at", "-id"))
