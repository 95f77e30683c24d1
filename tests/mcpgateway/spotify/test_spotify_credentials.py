"""With Spotify credentials set, the Spotify emulator is never used: the settings point at Spotify,
`./dev run` (run_gateway) does not start the emulator, and nothing connects to the emulator's URL."""

import json
import os
import socket
import subprocess
import sys
import threading
from urllib.parse import urlencode

import pytest
from django.conf import settings

from tests.mcpgateway.oauth.browser import Browser
from tests.mcpgateway.oauth.conftest import make_client, pkce_pair

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests/conftest.py: person
REPORT = """
import django, json
django.setup()
from django.conf import settings
from mcpgateway.management.process_roles import gateway_processes
print(json.dumps({
    "use_emulator": settings.SPOTIFY_USE_EMULATOR, "accounts": settings.SPOTIFY_ACCOUNTS_URL, "api": settings.SPOTIFY_API_URL,
    "processes": gateway_processes(host="127.0.0.1", port=8000, web_workers=1, celery_concurrency=1, no_emulator=False),
}))
"""


class Listener:
    """Stands where the emulator would be and counts every connection made to it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.sock.fileno() != -1:
            try:
                self.sock.accept()[0].close()
                self.accepted += 1
            except TimeoutError:
                continue
            except OSError:
                return


@pytest.fixture
def emulator_address():
    listener = Listener()
    yield listener
    listener.sock.close()


def settings_with(env: dict[str, str]) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SPOTIFY_")}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    run = subprocess.run([sys.executable, "-c", REPORT], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_with_spotify_credentials_the_settings_point_at_spotify_and_no_emulator_is_started(emulator_address):
    report = settings_with({"SPOTIFY_CLIENT_ID": "my-spotify-app", "SPOTIFY_EMULATOR_URL": emulator_address.url})
    assert report["use_emulator"] is False
    assert report["accounts"] == "https://accounts.spotify.com"
    assert report["api"] == "https://api.spotify.com/v1"
    names = [name for name, _command in report["processes"]]
    assert names == ["celery-worker", "celery-beat", "web"]
    assert not any("spotify_emulator" in " ".join(command) for _name, command in report["processes"])


def test_without_spotify_credentials_run_gateway_starts_the_emulator(emulator_address):
    report = settings_with({"SPOTIFY_EMULATOR_URL": emulator_address.url})
    assert report["use_emulator"] is True and report["accounts"] == f"{emulator_address.url}/accounts"
    assert [name for name, _command in report["processes"]][0] == "spotify-emulator"


def test_a_gateway_with_spotify_credentials_sends_people_to_spotify_never_to_the_emulator(start_gateway, emulator_address, person):
    gateway = start_gateway(SPOTIFY_CLIENT_ID="my-spotify-app", SPOTIFY_ACCOUNTS_URL="", SPOTIFY_API_URL="",
                            SPOTIFY_REDIRECT_URI="", SPOTIFY_EMULATOR_URL=emulator_address.url)
    application = make_client()
    browser = Browser(gateway, person.get_username(), PASSWORD, accounts_url="https://accounts.spotify.com")
    _verifier, challenge = pkce_pair()
    query = {"response_type": "code", "client_id": application.client_id, "redirect_uri": application.redirect_uris,
             "state": "s", "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{gateway}/mcp"}
    try:
        browser.sign_in(f"{gateway}/accounts/login/")
        # No Spotify grant yet: the authorization goes through Connect Spotify first (not followed:
        # a test never talks to the real Spotify).
        response = browser.http.get(f"{gateway}/oauth/authorize?{urlencode(query)}")
        assert response.status_code == 302
        assert response.headers["location"].startswith("https://accounts.spotify.com/authorize?")
        assert "client_id=my-spotify-app" in response.headers["location"]
        # /healthz answers without contacting Spotify (a lone web worker has no Celery heartbeats: 503).
        assert browser.http.get(f"{gateway}/healthz").json()["checks"]["database"]["ok"]
    finally:
        browser.close()
    assert emulator_address.accepted == 0
