"""Spotify's Development Mode limit (SPOTIFY_APP_USER_LIMIT): when the app's places are taken, the
dashboard says so before anyone presses Connect, and Connect refuses instead of sending the person
to Spotify's error; people already connected may still reconnect. And the allow-list advice."""

import re
from html import unescape

import httpx
import pytest
from django.contrib.messages import get_messages

from mcpgateway.spotify.models import SpotifyGrant
from tests.conftest import TEST_CLIENT_ID, TEST_REDIRECT_URI, make_grant, public_client

pytestmark = pytest.mark.django_db


def dashboard_text(client) -> str:
    page = client.get("/")
    assert page.status_code == 200
    return unescape(re.sub(r"\s+", " ", page.content.decode()))


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def development_mode(emulator, django_user_model):
    """The emulator's app in Development Mode, its five places taken by five people of the gateway:
    alice, bob, carol, dave and one more account are on the app's user list; erin is not."""
    fifth = emulator.mint_grants(TEST_CLIENT_ID, count=1)[0]["user_id"]
    allowed = ["alice", "bob", "carol", "dave", fifth]
    emulator.register_client(TEST_CLIENT_ID, [TEST_REDIRECT_URI], mode="development", allowed_users=allowed)
    people = []
    for spotify_user_id in allowed:
        someone = django_user_model.objects.create_user(username=f"user-{spotify_user_id}", password="x")
        make_grant(emulator, someone, spotify_user_id=spotify_user_id)
        people.append(someone)
    django_user_model.objects.create_user(username="ann", password="x", is_staff=True, first_name="Ann", last_name="Admin",
                                          email="ann@example.com")
    emulator.reset_stats()
    return people


def test_a_sixth_person_is_told_why_and_whom_to_ask_and_never_sent_to_spotify(client, person, emulator, development_mode):
    client.force_login(person)
    shown = dashboard_text(client)
    assert "at most 5 people" in shown and "5 are connected" in shown
    assert "Ask Ann Admin (ann@example.com)" in shown
    assert 'id="connect-spotify"' not in shown  # nothing to press that could only fail

    response = client.post("/spotify/connect")
    assert response.status_code == 302 and response["Location"] == "/"  # not the emulator
    assert any("at most 5 people" in message and "Ann Admin" in message for message in page_messages(response))
    assert emulator.stats()["authorize"].get("page_requests", 0) == 0
    assert not SpotifyGrant.objects.filter(user=person).exists()


def test_without_the_limit_the_sixth_account_meets_spotifys_development_mode_error(client, person, emulator, development_mode,
                                                                                 settings):
    """What the limit spares the sixth person: the emulator, like Spotify, refuses an account that is
    not on the Development Mode app's user list."""
    settings.SPOTIFY_APP_USER_LIMIT = 0
    client.force_login(person)
    response = client.post("/spotify/connect")
    assert response["Location"].startswith(emulator.accounts_url + "/authorize?")
    with httpx.Client() as http:
        page = http.get(response["Location"])
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        refused = http.post(page.url, data={"nonce": nonce, "user_id": "erin", "action": "agree"})
    assert refused.status_code == 403 and "not registered for this app" in refused.text


@pytest.mark.parametrize("status", [SpotifyGrant.Status.ACTIVE, SpotifyGrant.Status.NEEDS_RECONNECT])
def test_people_already_connected_may_reconnect_when_the_app_is_full(client, emulator, development_mode, status):
    someone = development_mode[0]
    SpotifyGrant.objects.filter(user=someone).update(status=status)
    client.force_login(someone)
    shown = dashboard_text(client)
    assert "at most 5 people" not in shown and 'id="reconnect-spotify"' in shown
    response = client.post("/spotify/connect")
    assert response["Location"].startswith(emulator.accounts_url + "/authorize?")


def test_disconnecting_frees_a_place_and_reconnecting_then_counts_as_new(client, person, emulator, development_mode):
    leaver = development_mode[0]
    client.force_login(leaver)
    assert client.post("/spotify/disconnect").status_code == 302
    client.force_login(person)  # the sixth person takes the freed place
    assert client.post("/spotify/connect")["Location"].startswith(emulator.accounts_url)
    make_grant(emulator, person, spotify_user_id="erin")
    client.force_login(leaver)
    assert "at most 5 people" in dashboard_text(client)
    assert client.post("/spotify/connect")["Location"] == "/"


def test_a_place_taken_while_the_person_was_at_spotify_is_not_overfilled(client, person, emulator, development_mode):
    from tests.conftest import authorize_at_emulator

    client.force_login(person)
    leaver = development_mode[0]
    SpotifyGrant.objects.filter(user=leaver).update(status=SpotifyGrant.Status.DISCONNECTED)
    answer = authorize_at_emulator(client.post("/spotify/connect")["Location"], user_id="alice")
    SpotifyGrant.objects.filter(user=leaver).update(status=SpotifyGrant.Status.ACTIVE)  # back before the callback
    response = client.get("/spotify/callback", answer)
    assert response["Location"] == "/"
    assert any("at most 5 people" in message for message in page_messages(response))
    assert not SpotifyGrant.objects.filter(user=person).exists()


def test_a_limit_of_zero_means_no_limit(client, person, emulator, development_mode, settings):
    settings.SPOTIFY_APP_USER_LIMIT = 0
    client.force_login(person)
    shown = dashboard_text(client)
    assert "at most" not in shown and 'id="connect-spotify"' in shown
    assert client.post("/spotify/connect")["Location"].startswith(emulator.accounts_url + "/authorize?")


def test_a_raised_limit_lets_the_sixth_person_connect(client, person, emulator, development_mode, settings):
    settings.SPOTIFY_APP_USER_LIMIT = 6
    client.force_login(person)
    assert client.post("/spotify/connect")["Location"].startswith(emulator.accounts_url + "/authorize?")


def test_an_mcp_client_authorization_sends_a_person_of_a_full_app_to_the_dashboard_message(client, person, emulator,
                                                                                           development_mode):
    from oauth2_provider.models import get_application_model

    application = get_application_model().objects.create(
        name="Cursor", client_type="public", authorization_grant_type="authorization-code",
        redirect_uris="http://127.0.0.1:43210/callback",
    )
    client.force_login(person)
    response = client.get("/oauth/authorize", {
        "client_id": application.client_id, "response_type": "code", "redirect_uri": "http://127.0.0.1:43210/callback",
        "code_challenge": "x" * 43, "code_challenge_method": "S256", "scope": "spotify:read", "state": "s" * 16,
        "resource": "http://127.0.0.1:8000/mcp",
    })
    assert response.status_code == 302 and response["Location"] == "/"
    assert any("at most 5 people" in message for message in page_messages(response))
    assert emulator.stats()["authorize"].get("page_requests", 0) == 0


def test_people_not_marked_allow_listed_are_told_whom_to_ask_first(admin_client, client, person, django_user_model, settings):
    """With the real Spotify app in Development Mode: the advice until an admin marks the person
    allow-listed with the admin's own action; never with the emulator or without a limit."""
    settings.SPOTIFY_USE_EMULATOR = False
    django_user_model.objects.create_user(username="ann", password="x", is_staff=True, email="ann@example.com")
    from tests.conftest import public_client

    browser = public_client()
    browser.force_login(person)
    shown = dashboard_text(browser)
    assert "ask ann (ann@example.com)" in shown and "root" in shown
    assert "add your Spotify account's email" in shown and 'id="connect-spotify"' in shown

    listed = admin_client.get("/admin/accounts/user/")
    assert "Spotify allow-listed" in listed.content.decode()
    done = admin_client.post("/admin/accounts/user/", {"action": "mark_spotify_allowlisted", "_selected_action": [person.pk]}, follow=True)
    assert "Marked 1 person(s)" in done.content.decode()
    assert "add your Spotify account's email" not in dashboard_text(browser)

    person.refresh_from_db()
    person.spotify_allowlisted = False
    person.save()
    settings.SPOTIFY_APP_USER_LIMIT = 0
    assert "add your Spotify account's email" not in dashboard_text(browser)
    settings.SPOTIFY_APP_USER_LIMIT = 5
    settings.SPOTIFY_USE_EMULATOR = True
    assert "add your Spotify account's email" not in dashboard_text(browser)


def test_admins_edit_the_allow_listed_flag_on_a_persons_page(admin_client, person):
    page = admin_client.get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    assert 'name="spotify_allowlisted"' in page


def test_a_place_taken_during_the_code_exchange_is_not_overfilled(client, person, emulator, development_mode, monkeypatch):
    """The last check runs with the places locked, after Spotify answered: a place taken while the
    gateway exchanged the code is seen, and nothing is saved."""
    from mcpgateway.spotify import services
    from tests.conftest import authorize_at_emulator

    client.force_login(person)
    leaver = development_mode[0]
    SpotifyGrant.objects.filter(user=leaver).update(status=SpotifyGrant.Status.DISCONNECTED)
    answer = authorize_at_emulator(client.post("/spotify/connect")["Location"], user_id="alice")
    exchange = services.accounts.exchange_code

    def exchange_while_someone_takes_the_place(**kwargs):
        tokens = exchange(**kwargs)
        # Back with another Spotify account (alice's is the one being connected now).
        SpotifyGrant.objects.filter(user=leaver).update(status=SpotifyGrant.Status.ACTIVE, spotify_user_id="leavers-new-account")
        return tokens

    monkeypatch.setattr(services.accounts, "exchange_code", exchange_while_someone_takes_the_place)
    response = client.get("/spotify/callback", answer)
    assert response["Location"] == "/"
    assert any("at most 5 people" in message for message in page_messages(response))
    assert not SpotifyGrant.objects.filter(user=person).exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_do_not_both_take_it(emulator, development_mode, django_user_model, monkeypatch):
    """Both pass the first check and finish at Spotify together; the lock lets one through."""
    import threading

    from django.db import connection

    from mcpgateway.spotify import services
    from tests.conftest import authorize_at_emulator

    SpotifyGrant.objects.filter(user=development_mode[0]).update(status=SpotifyGrant.Status.DISCONNECTED)
    racers = [django_user_model.objects.create_user(username=f"racer{i}", password="x") for i in range(2)]
    callbacks = []
    for racer, spotify_user_id in zip(racers, ("alice", "bob")):
        browser = public_client()
        browser.force_login(racer)
        callbacks.append((browser, authorize_at_emulator(browser.post("/spotify/connect")["Location"], user_id=spotify_user_id)))
    # bob's place stays taken by his gateway account, under another Spotify account: one place for two.
    SpotifyGrant.objects.filter(user=development_mode[1]).update(spotify_user_id="bobs-other-account")
    both_exchanged = threading.Barrier(2, timeout=20)
    exchange = services.accounts.exchange_code

    def exchange_together(**kwargs):
        tokens = exchange(**kwargs)
        both_exchanged.wait()
        return tokens

    monkeypatch.setattr(services.accounts, "exchange_code", exchange_together)
    answers = {}

    def callback(browser, query):
        try:
            answers[browser] = browser.get("/spotify/callback", query)
        finally:
            connection.close()

    threads = [threading.Thread(target=callback, args=pair) for pair in callbacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 2
    assert SpotifyGrant.objects.filter(user__in=racers).count() == 1
    refused = [page_messages(answer) for answer in answers.values() if not SpotifyGrant.objects.filter(user=answer.wsgi_request.user).exists()]
    assert len(refused) == 1 and any("at most 5 people" in message for message in refused[0]), refused
