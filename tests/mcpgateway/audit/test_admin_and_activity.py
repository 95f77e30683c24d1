"""Admins search, filter and export the whole trail; a person sees only their own activity; old
rows go by the retention task."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.services import audit_record
from mcpgateway.audit.tasks import purge_old_audit_events

pytestmark = pytest.mark.django_db


def tool_call(user, tool, outcome="ok", reason="", **fields):
    return AuditEvent.objects.create(kind=AuditEvent.Kind.TOOL_CALL, user=user, username=user.username, tool=tool, outcome=outcome,
                                     reason=reason, client_name="Claude", credential_id="pat:1", duration_ms=12, **fields)


def exported(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_admin_lists_filters_and_exports_the_filtered_rows(admin_client, person, django_user_model):
    other = django_user_model.objects.create_user(username="other")
    tool_call(person, "search", summary={"arguments": {"query": "abba"}})
    tool_call(person, "pause_playback", "error", "premium_required")
    tool_call(other, "get_devices", "refused", "gateway_scope")

    page = admin_client.get("/admin/mcpgateway/auditevent/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "pause_playback" in html and "get_devices" in html and "Export these events as CSV" in html
    filtered = admin_client.get("/admin/mcpgateway/auditevent/?outcome__exact=error")
    assert "pause_playback" in filtered.content.decode() and "get_devices" not in filtered.content.decode()
    assert 'href="/admin/mcpgateway/auditevent/export.csv?outcome__exact=error"' in filtered.content.decode()

    rows = exported(admin_client.get("/admin/mcpgateway/auditevent/export.csv?outcome__exact=error"))
    assert [(r["username"], r["tool"], r["outcome"], r["reason"], r["client_name"]) for r in rows] == [
        (person.username, "pause_playback", "error", "premium_required", "Claude")]
    theirs = exported(admin_client.get(f"/admin/mcpgateway/auditevent/export.csv?user__id__exact={person.pk}&kind__exact=tool_call"))
    assert {r["tool"] for r in theirs} == {"search", "pause_playback"}
    searched = exported(admin_client.get("/admin/mcpgateway/auditevent/export.csv?q=get_dev"))
    assert [r["username"] for r in searched] == ["other"]
    everything = theirs
    assert '"query": "abba"' in next(r for r in everything if r["tool"] == "search")["summary"]


def test_the_export_action_exports_the_selected_rows_and_defuses_formulas(admin_client, person):
    chosen = tool_call(person, "search")
    AuditEvent.objects.filter(pk=chosen.pk).update(client_name="=HYPERLINK(\"http://evil\")")
    tool_call(person, "get_devices")
    response = admin_client.post("/admin/mcpgateway/auditevent/", {"action": "export_csv", "_selected_action": [chosen.pk], "index": 0})
    rows = exported(response)
    assert [r["tool"] for r in rows] == ["search"]
    assert rows[0]["client_name"].startswith("'=")


def test_bad_filters_on_the_export_are_a_400(admin_client):
    assert admin_client.get("/admin/mcpgateway/auditevent/export.csv?nonsense__field=1").status_code == 400


def test_audit_rows_cannot_be_changed_or_deleted_in_the_admin(admin_client, person):
    event = tool_call(person, "search")
    assert admin_client.post(f"/admin/mcpgateway/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/mcpgateway/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_only_admins_see_the_export(client, person):
    client.force_login(person)
    assert client.get("/admin/mcpgateway/auditevent/export.csv").status_code == 302  # to the admin's sign-in


def test_a_person_sees_their_own_activity_only(client, person, django_user_model):
    other = django_user_model.objects.create_user(username="other")
    tool_call(person, "my_own_tool", "error", "premium_required", summary={"arguments": {"query": "abba", "limit": 2}})
    tool_call(other, "someone_elses_tool")
    audit_record(kind=AuditEvent.Kind.REVOCATION, user=other, actor=person, credential_id="pat:9")
    client.force_login(person)

    dashboard = client.get("/")
    assert 'href="/activity"' in dashboard.content.decode()
    page = client.get("/activity")
    html = page.content.decode()
    assert page.status_code == 200
    assert "my_own_tool" in html and "premium_required" in html and "limit=2, query=abba" in html
    assert "someone_elses_tool" not in html and "pat:9" not in html and "Revocation" not in html


def test_the_activity_page_is_paginated_newest_first(client, person):
    for index in range(60):
        tool_call(person, f"tool_{index:02d}", occurred_at=timezone.now() - timedelta(minutes=60 - index))
    client.force_login(person)
    first = client.get("/activity").content.decode()  # the sign-in (newest), then tool_59 ... tool_11
    assert "Sign-in" in first and "tool_59" in first and "tool_11" in first and "tool_10" not in first
    assert first.index("tool_59") < first.index("tool_58")
    second = client.get("/activity?page=2").content.decode()
    assert "tool_10" in second and "tool_00" in second and "tool_59" not in second
    assert client.get("/activity?page=nonsense").status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/activity")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_retention_task_deletes_old_rows_only(settings, person):
    settings.AUDIT_RETENTION_DAYS = 30
    old = tool_call(person, "old", occurred_at=timezone.now() - timedelta(days=31))
    recent = tool_call(person, "recent", occurred_at=timezone.now() - timedelta(days=29))
    assert purge_old_audit_events() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists() and AuditEvent.objects.filter(pk=recent.pk).exists()


def test_the_retention_task_is_on_the_beat_schedule(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-audit-events"]
    assert entry["task"] == purge_old_audit_events.name == "mcpgateway.audit.tasks.purge_old_audit_events"
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
