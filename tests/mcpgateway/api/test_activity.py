"""The audit trail through the API: your own activity (never anyone else's rows), and everyone's
for team admins, filtered by person, kind, outcome and time. Every answer matches the served schema."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from accounts.services import personal_access_token_create
from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.services import audit_record
from tests.conftest import public_client

from .conftest import Api, api_token

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.conftest.person's


@pytest.fixture
def someone_else(django_user_model):
    return django_user_model.objects.create_user(username="other", password="x")


def at(event: AuditEvent, when) -> AuditEvent:
    AuditEvent.objects.filter(pk=event.pk).update(occurred_at=when)
    return event


def test_your_activity_is_yours_only_newest_first_with_what_you_did(member_api, someone_else):
    # A real sign-in and a real revocation on the dashboard, then a tool call row as the writer leaves it.
    browser = public_client()
    assert browser.post("/accounts/login/", {"username": "pat", "password": PASSWORD}).status_code == 302
    pat, plaintext = personal_access_token_create(user=member_api.person, name="laptop", scopes={"spotify:read"}, expires_in_days=None)
    assert browser.post(f"/tokens/{pat.pk}/revoke").status_code == 302
    audit_record(kind=AuditEvent.Kind.TOOL_CALL, user=member_api.person, client_name="Claude", credential_id="pat:1")
    theirs = audit_record(kind=AuditEvent.Kind.SIGN_IN, user=someone_else, outcome="ok", ip_address="198.51.100.7")
    audit_record(kind=AuditEvent.Kind.REVOCATION, user=someone_else, actor=member_api.person)  # theirs, even if pat acted

    response = member_api.get("/activity")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["kind"] for item in body["items"]] == ["tool_call", "revocation", "sign_in"]
    assert {item["person_id"] for item in body["items"]} == {member_api.person.pk}
    revocation = body["items"][1]
    assert (revocation["actor_username"], revocation["credential_id"], revocation["details"]["token_name"]) == ("pat", pat.credential_id, "laptop")
    assert body["items"][0]["outcome"] is None and body["items"][2]["outcome"] == "ok"
    text = response.content.decode()
    assert plaintext not in text and "198.51.100.7" not in text and str(theirs.pk) not in [str(i["id"]) for i in body["items"]]


def test_your_activity_by_session_filtered_by_kind_and_outcome_and_paged(person):
    for outcome in ("ok", "error", "refused"):
        AuditEvent.objects.create(kind=AuditEvent.Kind.TOOL_CALL, user=person, username="pat", outcome=outcome, tool="search")
    audit_record(kind=AuditEvent.Kind.SIGN_IN_FAILED, user=person, outcome="refused")
    browser = Api()
    browser.client.force_login(person)  # a sign-in row too
    assert browser.get("/activity").json()["count"] == 5
    assert [i["kind"] for i in browser.get("/activity", query={"outcome": "refused"}).json()["items"]] == ["sign_in_failed", "tool_call"]
    calls = browser.get("/activity", query={"kind": "tool_call", "outcome": "error"}).json()
    assert calls["count"] == 1 and calls["items"][0]["tool"] == "search"
    page = browser.get("/activity", query={"kind": "tool_call", "page_size": 2, "page": 2}).json()
    assert page["count"] == 3 and [i["outcome"] for i in page["items"]] == ["ok"]


def test_members_get_403_on_everyones_activity(member_api, someone_else):
    audit_record(kind=AuditEvent.Kind.SIGN_IN, user=someone_else)
    for query in (None, {"person": someone_else.pk}):
        response = member_api.get("/admin/activity", query=query)
        assert response.status_code == 403
        assert "team admins" in response.json()["detail"]


def test_admins_see_everyones_activity_filtered_by_person_kind_outcome_and_time(admin_api, person, someone_else):
    now = timezone.now()
    old = at(audit_record(kind=AuditEvent.Kind.SIGN_IN, user=person, outcome="ok"), now - timedelta(days=10))
    failed = at(audit_record(kind=AuditEvent.Kind.SIGN_IN_FAILED, user=someone_else, outcome="refused"), now - timedelta(days=2))
    revoked = at(audit_record(kind=AuditEvent.Kind.REVOCATION, user=person, actor=admin_api.person, outcome="ok"), now - timedelta(hours=1))

    everyone = admin_api.get("/admin/activity").json()
    assert [i["id"] for i in everyone["items"]] == [revoked.pk, failed.pk, old.pk]
    assert everyone["items"][0]["actor_id"] == admin_api.person.pk
    about_pat = admin_api.get("/admin/activity", query={"person": person.pk}).json()["items"]
    assert [i["id"] for i in about_pat] == [revoked.pk, old.pk]
    # A person's filter includes what they did to others (the admin's revocation).
    assert [i["id"] for i in admin_api.get("/admin/activity", query={"person": admin_api.person.pk}).json()["items"]] == [revoked.pk]
    assert [i["id"] for i in admin_api.get("/admin/activity", query={"kind": "sign_in_failed"}).json()["items"]] == [failed.pk]
    assert [i["id"] for i in admin_api.get("/admin/activity", query={"outcome": "refused"}).json()["items"]] == [failed.pk]
    since = (now - timedelta(days=3)).isoformat()
    until = (now - timedelta(days=1)).isoformat()
    assert [i["id"] for i in admin_api.get("/admin/activity", query={"since": since}).json()["items"]] == [revoked.pk, failed.pk]
    assert [i["id"] for i in admin_api.get("/admin/activity", query={"since": since, "until": until}).json()["items"]] == [failed.pk]
    # Without a time zone: UTC.
    naive = (now - timedelta(days=3)).astimezone(UTC).replace(tzinfo=None).isoformat()
    assert admin_api.get("/admin/activity", query={"since": naive}).json()["count"] == 2
    # An id nobody has: an empty list, not an error.
    assert admin_api.get("/admin/activity", query={"person": 10**9}).json() == {"items": [], "count": 0}


def test_an_until_before_since_is_422_naming_until(admin_api):
    response = admin_api.get("/admin/activity", query={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "until"


def test_everyones_activity_by_a_signed_in_admin(team_admin, person):
    audit_record(kind=AuditEvent.Kind.SIGN_IN, user=person)
    browser = Api()
    browser.client.force_login(team_admin)
    response = browser.get("/admin/activity", query={"person": person.pk})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_a_token_without_the_api_scope_cannot_read_activity(person):
    response = Api(token=api_token(person, scopes=("spotify:read",))).get("/activity")
    assert response.status_code == 403
