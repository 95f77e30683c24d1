"""No secret in any log line: a whole journey against the gateway's real processes (`manage.py serve`
web with two workers, worker and beat; JSON logs, LOG_LEVEL=DEBUG), then every line any of them
wrote is searched for every secret the journey used.

The journey: a person signs in (session cookie, CSRF token), an MCP client registers itself (DCR),
sends the person through authorization, where they connect Spotify at the emulator (Spotify's
authorization code, state) and approve (the gateway's authorization code, state, PKCE verifier),
exchanges the code for tokens, calls tools in both protocol eras, refreshes its tokens; the beat
refreshes the Spotify tokens (old and new ones); the person creates a personal access token, calls
a tool with it and revokes it; an admin creates an invitation link and it is opened; a password reset
link is opened, and a forged request carries secrets in its path and query. A secret in a log line
fails the test with the line: its first run found a password reset token in django.security.csrf's
"Forbidden (CSRF cookie not set.): <path>" (mcpgateway.core.access_log now filters every logger).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mcpgateway.spotify.models import SpotifyGrant
from tests.mcpgateway.mcp.conftest import modern_call, reply_of
from tests.mcpgateway.oauth import test_end_to_end as end_to_end
from tests.mcpgateway.oauth.browser import Browser
from tests.support.processes import GatewayProcesses, free_port, gateway_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class RecordingBrowser(Browser):
    """The person's browser, remembering the Spotify authorization code and state it carried."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []

    def authorize(self, url, **kwargs):
        from tests.mcpgateway.oauth import browser as browser_module

        original = browser_module.authorize_at_emulator

        def recording(location, **options):
            answer = original(location, **options)
            self.seen += [answer["code"], answer["state"]]
            return answer

        browser_module.authorize_at_emulator = recording
        try:
            answer = super().authorize(url, **kwargs)
        finally:
            browser_module.authorize_at_emulator = original
        self.seen += [value for key, value in answer.items() if key in ("code", "state")]
        return answer


def manage(*arguments: str) -> list[str]:
    return [sys.executable, "manage.py", *arguments]


def spotify_tokens(person) -> list[str]:
    grant = SpotifyGrant.objects.get(user=person)
    return [grant.access_token.reveal(), grant.refresh_token.reveal()]


def test_a_whole_journey_leaves_no_secret_in_any_log_line(person, emulator, monkeypatch):
    person.is_staff = True
    person.email = "pat@example.com"
    person.set_password(end_to_end.PASSWORD)
    person.save()
    extra = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG", "HEARTBEAT_INTERVAL_SECONDS": "1",
             # The beat refreshes every grant every few seconds: old and new Spotify tokens pass by.
             "SPOTIFY_REFRESH_INTERVAL_SECONDS": "3", "SPOTIFY_REFRESH_MARGIN_SECONDS": "999999"}
    port = free_port()
    web = GatewayProcesses()
    base = web.start(port, command=manage("serve", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"), **extra)
    env = gateway_env(VAR_DIR=str(settings.VAR_DIR), PUBLIC_BASE_URL=base, **extra)
    roles = {role: subprocess.Popen(manage("serve", role), cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True) for role in ("worker", "beat")}
    secrets: dict[str, str] = {}
    try:
        # The MCP client: DCR, authorization (sign-in, Spotify at the emulator, consent), token,
        # tool calls in both eras, refresh. Its PKCE verifier is recorded as it is sent.
        verifiers: list[str] = []
        original_exchange = end_to_end.OAuthClientProvider._exchange_token_authorization_code

        async def exchange(self, auth_code, code_verifier):
            verifiers.append(code_verifier)
            return await original_exchange(self, auth_code, code_verifier)

        monkeypatch.setattr(end_to_end.OAuthClientProvider, "_exchange_token_authorization_code", exchange)
        browser = RecordingBrowser(base, person.get_username(), end_to_end.PASSWORD, accounts_url=emulator.accounts_url)
        storage = end_to_end.MemoryStorage()
        auth = end_to_end.provider(base, browser, storage)
        end_to_end.asyncio.run(end_to_end.use_gateway(base, auth, "legacy", pick=0))
        first = storage.tokens
        spotify_first = spotify_tokens(person)
        auth.context.token_expiry_time = 1.0  # the client refreshes before its next request
        end_to_end.asyncio.run(end_to_end.use_gateway(base, auth, end_to_end.MODERN, pick=1))
        assert storage.tokens.access_token != first.access_token
        secrets.update({
            "oauth access token": first.access_token, "oauth refresh token": first.refresh_token,
            "refreshed oauth access token": storage.tokens.access_token, "refreshed oauth refresh token": storage.tokens.refresh_token,
            "pkce verifier": verifiers[0],
            "session cookie": browser.http.cookies["sessionid"], "csrf token": browser.http.cookies["csrftoken"],
        })
        if storage.client_info.client_secret:
            secrets["oauth client secret"] = storage.client_info.client_secret
        for index, value in enumerate(browser.seen):
            secrets[f"authorization code or state #{index}"] = value

        # A personal access token: created, used, revoked (the REST API, as the dashboard's script does).
        csrf = {"X-CSRFToken": browser.http.cookies["csrftoken"], "Origin": base, "Referer": f"{base}/"}
        created = browser.http.post(f"{base}/api/tokens", json={"name": "journey", "scopes": ["spotify:read"]}, headers=csrf)
        assert created.status_code == 201, created.text
        secrets["personal access token"] = created.json()["token"]
        reply = reply_of(modern_call(base, created.json()["token"], "tools/call", {"name": "get_gateway_identity", "arguments": {}}))
        assert reply["result"]["structuredContent"]["username"] == person.get_username()
        assert browser.http.delete(f"{base}/api/tokens/{created.json()['id']}", headers=csrf).status_code == 200
        assert modern_call(base, created.json()["token"], "tools/call", {"name": "get_gateway_identity", "arguments": {}}).status_code == 401

        # An invitation link, opened; a password reset link, opened (and its set-password page).
        invited = browser.http.post(f"{base}/api/admin/invitations", json={"role": "member"}, headers=csrf)
        assert invited.status_code == 201, invited.text
        link = invited.json()["link"]
        secrets["invitation token"] = link.rstrip("/").rsplit("/", 1)[1]
        assert httpx.get(link).status_code == 200
        httpx.get(f"{link}?next=/after-{secrets['invitation token']}")
        person.refresh_from_db()  # signing in set last_login, which the reset token covers
        reset_token = default_token_generator.make_token(person)
        secrets["password reset token"] = reset_token
        opened = httpx.get(f"{base}/accounts/reset/{urlsafe_base64_encode(force_bytes(person.pk))}/{reset_token}/")
        assert opened.status_code == 302, opened.status_code
        # A request that fails with the secrets in its path and query (django.request logs it).
        httpx.post(f"{base}/accounts/reset/x/{reset_token}/?code={verifiers[0]}")

        # The beat's sweeps have refreshed the Spotify grant meanwhile (a new token pair).
        deadline = time.monotonic() + 60
        while spotify_tokens(person)[0] == spotify_first[0]:
            assert time.monotonic() < deadline, "the beat did not refresh the Spotify grant"
            time.sleep(0.5)
        for name, value in zip(("spotify access token", "spotify refresh token"), spotify_first):
            secrets[name] = value
        for name, value in zip(("refreshed spotify access token", "refreshed spotify refresh token"), spotify_tokens(person)):
            secrets[name] = value
        browser.close()
    finally:
        for process in roles.values():
            process.send_signal(signal.SIGTERM)
        outputs = {role: process.communicate(timeout=30)[0] for role, process in roles.items()}
        outputs["web"] = web.stop()[0]

    assert all(len(value) >= 8 for value in secrets.values()), secrets.keys()
    assert sum(len(output.splitlines()) for output in outputs.values()) > 50  # the processes did log
    assert any("refresh" in output.lower() for output in (outputs["worker"],)), outputs["worker"][-2000:]
    found = [f"{name} in {role}'s log: {line[:300]}" for role, output in outputs.items() for line in output.splitlines()
             for name, value in secrets.items() if value in line]
    assert not found, "\n".join(found)
