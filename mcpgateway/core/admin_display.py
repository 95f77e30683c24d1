"""What every credential list of the admin shows the same way: a status (active / revoked / expired)
and a filter by it, and links to a person's or a row's admin page."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

ACTIVE, REVOKED, EXPIRED = "active", "revoked", "expired"


def credential_status(*, revoked_at: datetime | None, expires_at: datetime | None) -> str:
    if revoked_at is not None:
        return REVOKED
    if expires_at is not None and expires_at <= timezone.now():
        return EXPIRED
    return ACTIVE


def status_badge(status: str):
    """The status as admins scan it: revoked and expired rows look ended."""
    colours = {ACTIVE: "#137333", REVOKED: "#c5221f", EXPIRED: "#5f6368"}
    return format_html('<strong class="credential-status" data-status="{}" style="color:{};white-space:nowrap">{}</strong>',
                       status, colours.get(status, "inherit"), status)


class CredentialStatusFilter(admin.SimpleListFilter):
    """Filter a credential list by status; subclasses name the revoked and expiry fields."""

    title = "status"
    parameter_name = "status"
    revoked_field = "revoked_at"
    expires_field: str | None = "expires_at"

    def lookups(self, request, model_admin):
        choices = [(ACTIVE, "Active"), (REVOKED, "Revoked")]
        return choices + [(EXPIRED, "Expired")] if self.expires_field else choices

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        live = Q(**{f"{self.revoked_field}__isnull": True})
        expired = Q(**{f"{self.expires_field}__lte": timezone.now()}) if self.expires_field else Q(pk__in=[])
        if self.value() == ACTIVE:
            return queryset.filter(live).exclude(expired)
        if self.value() == REVOKED:
            return queryset.exclude(live)
        if self.value() == EXPIRED:
            return queryset.filter(live & expired)
        return queryset


def admin_link(obj, label=None):
    """A link to `obj`'s admin page (its change or view page), or its text when it has none."""
    if obj is None:
        return "—"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label if label is not None else str(obj))


def changelist_link(model, label, **filters):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}{}">{}</a>', url, f"?{urlencode(filters)}" if filters else "", label)
