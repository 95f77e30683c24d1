"""Connecting Spotify: Authorization Code with PKCE against the emulator, and every bad callback."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages

from mcpgateway.spotify.accounts import SPOTIFY_SCOPES
from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.services import CONNECT_SESSION_KEY
from tests.conftest import authorize_at_emulator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_host(client):
    """Requests arrive at PUBLIC_BASE_URL's host, as a person's browser would send them."""
    client.defaults["HTTP_HOST"] = "127.0.0.1:8000"


@pytest.fixture
def signed_in(client, person):
    client.force_login(person)
    return client


def start_connect(client) -> str:
    response = client.post("/spotify/connect")
    assert response.status_code == 302
    return response["Location"]


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_connect_sends_the_person_to_spotify_with_pkce_and_every_scope(signed_in, emulator):
    url = start_connect(signed_in)
    assert url.startswith(emulator.accounts_url + "/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32
    assert set(query["scope"].split()) == set(SPOTIFY_SCOPES)
    assert query["redirect_uri"] == "http://127.0.0.1:8000/spotify/callback"


def test_full_connection_stores_an_active_grant(signed_in, emulator, person):
    answer = authorize_at_emulator(start_connect(signed_in))
    response = signed_in.get("/spotify/callback", answer)
    assert response.status_code == 302 and response["Location"] == "/"

    grant = SpotifyGrant.objects.get(user=person)
    assert grant.status == SpotifyGrant.Status.ACTIVE
    assert grant.spotify_user_id and grant.display_name
    assert set(SPOTIFY_SCOPES) <= grant.scope_set
    assert grant.access_token.reveal() and grant.refresh_token.reveal()
    dashboard = signed_in.get("/")
    assert f"Connected as {grant.display_name}" in dashboard.content.decode()


def test_connection_must_be_started_with_post(signed_in, emulator):
    assert signed_in.get("/spotify/connect").status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client, emulator):
    response = client.post("/spotify/connect")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def assert_refused(client, params, fragment):
    response = client.get("/spotify/callback", params)
    assert response.status_code == 302 and response["Location"] == "/"
    shown = " ".join(page_messages(response))
    assert fragment in shown, shown
    assert not SpotifyGrant.objects.exists()


def test_callback_without_state_is_refused(signed_in, emulator):
    answer = authorize_at_emulator(start_connect(signed_in))
    assert_refused(signed_in, {"code": answer["code"]}, "no state")


def test_callback_with_a_wrong_state_is_refused(signed_in, emulator):
    answer = authorize_at_emulator(start_connect(signed_in))
    assert_refused(signed_in, {"code": answer["code"], "state": "forged-" + answer["state"]}, "does not match")


def test_a_state_works_only_once(signed_in, emulator, person):
    answer = authorize_at_emulator(start_connect(signed_in))
    signed_in.get("/spotify/callback", answer)
    SpotifyGrant.objects.filter(user=person).delete()
    assert_refused(signed_in, answer, "does not match")


def test_a_state_from_another_persons_session_is_refused(client, emulator, person, django_user_model):
    client.force_login(person)
    answer = authorize_at_emulator(start_connect(client))
    other = django_user_model.objects.create_user(username="mallory", password="x")
    client.force_login(other)  # a new session: the state is not in it
    assert_refused(client, answer, "does not match")


def test_an_expired_state_is_refused(signed_in, emulator, settings):
    answer = authorize_at_emulator(start_connect(signed_in))
    session = signed_in.session
    pending = session[CONNECT_SESSION_KEY]
    pending[answer["state"]]["created"] = time.time() - settings.SPOTIFY_CONNECT_STATE_TTL_SECONDS - 1
    session[CONNECT_SESSION_KEY] = pending
    session.save()
    assert_refused(signed_in, answer, "expired")


def test_declining_on_spotify_connects_nothing(signed_in, emulator):
    answer = authorize_at_emulator(start_connect(signed_in), agree=False)
    assert answer["error"] == "access_denied"
    assert_refused(signed_in, answer, "did not allow access")


def test_a_failing_token_endpoint_stores_nothing(signed_in, emulator):
    answer = authorize_at_emulator(start_connect(signed_in))
    emulator.set_faults(fail_next=1, fail_status=503, fail_scope="token")
    assert_refused(signed_in, answer, "could not complete the connection")


def test_an_unreadable_profile_from_spotify_stores_nothing(signed_in, emulator):
    answer = authorize_at_emulator(start_connect(signed_in))
    emulator.set_faults(fail_next=1, fail_status=200, fail_scope="api", fail_body="html")
    assert_refused(signed_in, answer, "could not complete the connection")


def test_a_code_that_spotify_rejects_stores_nothing(signed_in, emulator):
    answer = authorize_at_emulator(start_connect(signed_in))
    assert_refused(signed_in, {"state": answer["state"], "code": "not-a-real-code"}, "could not complete the connection")


def test_disconnect_forgets_the_tokens(signed_in, emulator, person):
    signed_in.get("/spotify/callback", authorize_at_emulator(start_connect(signed_in)))
    response = signed_in.post("/spotify/disconnect")
    assert response.status_code == 302
    grant = SpotifyGrant.objects.get(user=person)
    assert grant.status == SpotifyGrant.Status.DISCONNECTED
    assert grant.access_token is None and grant.refresh_token is None
    assert "Not connected" in signed_in.get("/").content.decode()


def test_one_spotify_account_cannot_serve_two_people(client, emulator, person, django_user_model):
    client.force_login(person)
    first = authorize_at_emulator(start_connect(client))
    client.get("/spotify/callback", first)
    spotify_user_id = SpotifyGrant.objects.get(user=person).spotify_user_id

    other = django_user_model.objects.create_user(username="sam", password="x")
    client.force_login(other)
    answer = authorize_at_emulator(start_connect(client), user_id=spotify_user_id)
    response = client.get("/spotify/callback", answer)
    assert "already connected to another person" in " ".join(page_messages(response))
    assert not SpotifyGrant.objects.filter(user=other).exists()


def test_connecting_from_another_host_name_sends_the_person_to_the_public_address(signed_in, emulator, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    response = signed_in.post("/spotify/connect", HTTP_HOST="localhost:8000")
    assert response.status_code == 302 and response["Location"] == "http://127.0.0.1:8000/"
    assert CONNECT_SESSION_KEY not in signed_in.session
