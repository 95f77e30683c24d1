"""Sign-ins and failed sign-ins, revocations (with who revoked), consents and admin actions are
audited as they happen, over HTTP as people meet them; no password or token is ever kept."""

import json

import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import PersonalAccessToken
from accounts.services import personal_access_token_create
from mcpgateway.audit.models import AuditEvent
from mcpgateway.audit.services import audit_record
from mcpgateway.oauth.services import oauth_authorization_record
from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import make_grant
from tests.support.credentials import admin_action

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.conftest.person's


def test_a_sign_in_and_a_failed_one_are_recorded_without_the_password(client, person):
    wrong = client.post("/accounts/login/", {"username": person.username, "password": "not the password at all"})
    assert wrong.status_code == 200
    nobody = client.post("/accounts/login/", {"username": "nobody-here", "password": "guess"})
    assert nobody.status_code == 200
    signed_in = client.post("/accounts/login/", {"username": person.username, "password": PASSWORD})
    assert signed_in.status_code == 302

    failed = list(AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED).order_by("id"))
    assert [(e.username, e.user_id, e.outcome, e.reason) for e in failed] == [
        (person.username, person.pk, "refused", "bad_credentials"),
        ("nobody-here", None, "refused", "bad_credentials"),
    ]
    success = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN)
    assert success.user == person and success.outcome == "ok" and success.ip_address == "127.0.0.1"
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "not the password" not in stored and "guess" not in stored and PASSWORD not in stored


def test_revoking_a_token_on_the_dashboard_records_who_revoked_what(client, person):
    pat, plaintext = personal_access_token_create(user=person, name="laptop", scopes={"spotify:read"}, expires_in_days=None)
    client.force_login(person)
    assert client.post(f"/tokens/{pat.pk}/revoke").status_code == 302
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REVOCATION)
    assert (event.user, event.actor, event.credential_id) == (person, person, pat.credential_id)
    assert event.summary["token_name"] == "laptop"
    assert plaintext not in json.dumps(event.summary)


def test_an_admin_revoking_a_token_is_a_revocation_by_the_admin_and_a_logged_admin_action(admin_client, person):
    pat, plaintext = personal_access_token_create(user=person, name="phone", scopes={"spotify:read"}, expires_in_days=None)
    admin_action(admin_client, "/admin/accounts/personalaccesstoken/", "revoke", [pat.pk])

    assert PersonalAccessToken.objects.get(pk=pat.pk).revoked_at is not None
    revocation = AuditEvent.objects.get(kind=AuditEvent.Kind.REVOCATION)
    assert (revocation.user, revocation.actor, revocation.actor_username) == (person, admin_client.admin, "root")
    entry = LogEntry.objects.get(object_id=str(pat.pk))
    assert entry.user == admin_client.admin and entry.is_change() and "Revoked the token" in entry.get_change_message()
    action = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_ACTION)
    assert (action.user, action.actor) == (person, admin_client.admin)
    assert action.summary["model"] == "accounts.personalaccesstoken" and action.summary["action"] == "change"
    assert plaintext not in json.dumps(list(AuditEvent.objects.values()), default=str)
    exported = b"".join(admin_client.get("/admin/mcpgateway/auditevent/export.csv").streaming_content).decode()
    assert "revocation" in exported and "admin_action" in exported and pat.credential_id in exported
    assert plaintext not in exported and pat.token_digest not in exported


def test_an_admin_disconnecting_spotify_is_logged(admin_client, emulator, person):
    grant, minted = make_grant(emulator, person)
    admin_action(admin_client, "/admin/mcpgateway/spotifygrant/", "disconnect", [grant.pk])
    assert SpotifyGrant.objects.get(pk=grant.pk).status == SpotifyGrant.Status.DISCONNECTED
    assert LogEntry.objects.filter(object_id=str(grant.pk), user=admin_client.admin).exists()
    action = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_ACTION)
    assert action.user == person and "Disconnected Spotify" in action.summary["message"]
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert minted["access_token"] not in stored and minted["refresh_token"] not in stored


def test_a_bulk_admin_deletion_leaves_one_log_entry_and_audit_row_per_object(admin_client, person, django_user_model):
    other = django_user_model.objects.create_user(username="other")
    tokens = [personal_access_token_create(user=owner, name="t", scopes={"spotify:read"}, expires_in_days=None)[0] for owner in (person, other)]
    admin_action(admin_client, "/admin/accounts/personalaccesstoken/", "delete_selected", [t.pk for t in tokens])
    assert not PersonalAccessToken.objects.exists()
    deletions = AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_ACTION, summary__action="deletion")
    assert sorted(deletions.values_list("username", flat=True)) == ["other", person.username]
    assert LogEntry.objects.filter(action_flag=3).count() == 2


def test_a_consent_is_recorded(person):
    from tests.mcpgateway.oauth.conftest import make_client

    application = make_client(name="Claude Desktop")
    authorization = oauth_authorization_record(user=person, application=application, scopes={"spotify:read"},
                                               redirect_uri="http://127.0.0.1:43210/callback")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CONSENT)
    assert (event.user, event.client_name, event.credential_id) == (person, "Claude Desktop", authorization.credential_id)
    assert event.summary == {"client_id": application.client_id, "scopes": ["spotify:read"], "new_authorization": True}


def test_audit_record_is_the_public_way_to_record_other_events(person, admin_user):
    event = audit_record(kind=AuditEvent.Kind.INVITATION_CREATED, actor=admin_user,
                         details={"invitation": 7, "email": "new@example.org", "token": "secret-invite-token"})
    assert event.actor_username == admin_user.username and event.summary["token"] == "[redacted]"
    with pytest.raises(ValueError):
        audit_record(kind="made_up")


def test_a_sign_in_refused_by_the_lockout_says_so(client, person, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/accounts/login/", {"username": person.username, "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": person.username, "password": PASSWORD})
    assert locked.status_code in (200, 403, 429)
    reasons = list(AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED).order_by("id").values_list("reason", flat=True))
    # The failure that reached the limit locked the account; the right password then is refused too.
    assert reasons == ["bad_credentials", "locked_out", "locked_out"]
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN).exists()
