"""A person hears about a Spotify grant that died or ends soon (mcpgateway/spotify/notices.py and
the beat's sweep in services.py): flagged ahead of use, one mail per event with the dashboard's
link, a banner on the dashboard, and a mail server that fails never breaks the sweep."""

import asyncio
import logging
import re
import socket
import socketserver
import threading
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.utils import timezone

from mcpgateway.spotify import notices
from mcpgateway.spotify.models import REFRESH_TOKEN_LIFETIME, SpotifyGrant
from mcpgateway.spotify.services import GRANT_ENDED_MESSAGE, GrantNeedsReconnect, grant_refresh, grants_refresh_expiring
from mcpgateway.spotify.tasks import refresh_expiring_grants
from tests.conftest import authorize_at_emulator, make_grant, make_personal_access_token
from tests.mcpgateway.mcp.conftest import MODERN, mcp_client
from tests.support.emulator import refresh_requests

# Threads of the sweep and mails sent after commit need real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

DASHBOARD = "http://127.0.0.1:8000/"


@pytest.fixture
def pat(person):
    person.email = "pat@example.com"
    person.save(update_fields=["email"])
    return person


def consented(grant, *, days_ago: float) -> None:
    SpotifyGrant.objects.filter(pk=grant.pk).update(consented_at=timezone.now() - timedelta(days=days_ago))


def banner(client) -> str | None:
    page = client.get("/")
    assert page.status_code == 200
    found = re.search(r'<div class="notice" role="alert" data-testid="spotify-banner">(.*?)</div>', page.content.decode(), re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()) if found else None


def reconnect_over_http(client, person) -> SpotifyGrant:
    client.force_login(person)
    answer = authorize_at_emulator(client.post("/spotify/connect")["Location"])
    assert client.get("/spotify/callback", answer).status_code == 302
    return SpotifyGrant.objects.get(user=person)


def test_the_sweep_ends_a_grant_past_six_months_before_anyone_uses_it_and_mails_once(emulator, pat, client):
    grant, _ = make_grant(emulator, pat, expires_in=3600)  # its access token is nowhere near due
    consented(grant, days_ago=183)

    report = grants_refresh_expiring()

    assert (report.ended, report.due, report.notices_sent) == (1, 0, 1)
    grant.refresh_from_db()
    assert grant.status == SpotifyGrant.Status.NEEDS_RECONNECT and grant.last_error == GRANT_ENDED_MESSAGE
    assert grant.access_token is None and grant.refresh_token is None
    assert refresh_requests(emulator) == {}  # flagged by date, without asking Spotify
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.com"] and message.subject == "Your Spotify connection on the Spotify MCP gateway stopped working"
    assert DASHBOARD in message.body and "six months" in message.body

    assert grants_refresh_expiring().notices_sent == 0  # the next sweeps: no second mail
    assert refresh_expiring_grants() == {"due": 0, "refreshed": 0, "skipped": 0, "failed": 0, "needs_reconnect": 0, "ended": 0, "notices_sent": 0}
    assert len(mail.outbox) == 1

    # A reconnect is a new consent: its notices start over.
    grant = reconnect_over_http(client, pat)
    assert grant.status == SpotifyGrant.Status.ACTIVE
    assert grant.reconnect_notice_sent_at is None and grant.expiry_notice_sent_at is None
    consented(grant, days_ago=190)
    grants_refresh_expiring()
    assert len(mail.outbox) == 2


def test_the_sweep_finds_a_grant_spotify_revoked_and_mails_the_reason(emulator, pat):
    grant, minted = make_grant(emulator, pat, expires_in=60)
    emulator.revoke_grant(minted["grant_id"])  # the person removed the app at Spotify

    report = grants_refresh_expiring()

    assert (report.due, report.needs_reconnect, report.notices_sent) == (1, 1, 1)
    assert refresh_requests(emulator) == {"invalid_grant": 1}
    assert SpotifyGrant.objects.get(pk=grant.pk).status == SpotifyGrant.Status.NEEDS_RECONNECT
    assert "Refresh token revoked" in mail.outbox[0].body and DASHBOARD in mail.outbox[0].body
    grants_refresh_expiring()
    assert len(mail.outbox) == 1


def test_a_grant_that_died_at_a_tool_call_is_mailed_by_the_next_sweep(emulator, pat):
    grant, minted = make_grant(emulator, pat, expires_in=3600)
    emulator.revoke_grant(minted["grant_id"])
    with pytest.raises(GrantNeedsReconnect):
        grant_refresh(grant=grant)  # what a tool call's on-demand refresh does
    assert mail.outbox == []
    assert grants_refresh_expiring().notices_sent == 1
    assert mail.outbox[0].to == ["pat@example.com"]


def test_no_mail_without_an_address_or_to_a_deactivated_person(emulator, person, django_user_model):
    gone = django_user_model.objects.create_user(username="gone", email="gone@example.com", is_active=False)
    for someone in (person, gone):
        consented(make_grant(emulator, someone)[0], days_ago=200)
    report = grants_refresh_expiring()
    assert (report.ended, report.notices_sent) == (2, 0)
    assert mail.outbox == []


def test_the_warning_window_follows_the_setting(emulator, pat, client, settings):
    grant, _ = make_grant(emulator, pat)
    consented(grant, days_ago=REFRESH_TOKEN_LIFETIME.days - 9)  # ends in 9 days
    client.force_login(pat)

    settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS = 7
    assert grants_refresh_expiring().notices_sent == 0
    assert banner(client) is None

    settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS = 10
    assert grants_refresh_expiring().notices_sent == 1
    ends = (timezone.now() + timedelta(days=9)).strftime("%Y-%m-%d")
    assert mail.outbox[0].subject == f"Your Spotify connection on the Spotify MCP gateway ends on {ends}"
    assert DASHBOARD in mail.outbox[0].body
    shown = banner(client)
    assert shown.startswith(f"Your Spotify connection ends on {ends} (in 1 week, 1 day)") and "Reconnect Spotify" in shown
    assert SpotifyGrant.objects.get(pk=grant.pk).status == SpotifyGrant.Status.ACTIVE  # still works meanwhile

    assert grants_refresh_expiring().notices_sent == 0
    settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS = 0  # no warning at all
    assert banner(client) is None

    # Past the six months, before the next sweep ends it: the banner says it ended.
    settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS = 7
    consented(grant, days_ago=REFRESH_TOKEN_LIFETIME.days + 1)
    assert banner(client).startswith("Your Spotify connection ended on ")
    assert refresh_expiring_grants()["ended"] == 1
    assert banner(client).startswith("Your Spotify connection stopped working")


def test_the_dashboard_banner_says_the_connection_stopped_and_offers_reconnect(emulator, pat, client):
    grant, _ = make_grant(emulator, pat)
    client.force_login(pat)
    assert banner(client) is None
    consented(grant, days_ago=200)
    grants_refresh_expiring()

    page = client.get("/").content.decode()
    assert f"Your Spotify connection stopped working : {GRANT_ENDED_MESSAGE}." in banner(client)
    assert re.search(r'role="alert".*?<form method="post" action="/spotify/connect">.*?id="banner-reconnect-spotify">Reconnect Spotify</button>', page, re.S)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_mail_server_that_fails_never_breaks_the_sweep_and_the_mail_is_retried(emulator, pat, settings, caplog):
    ended = make_grant(emulator, pat)[0]
    consented(ended, days_ago=200)
    due = make_grant(emulator, pat.__class__.objects.create_user(username="sam", email="sam@example.com"), expires_in=60)[0]
    locmem = settings.MAILERS
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2}}}

    with caplog.at_level(logging.INFO, logger="mcpgateway"):
        report = grants_refresh_expiring()

    assert (report.ended, report.refreshed, report.notices_sent) == (1, 1, 0)
    assert SpotifyGrant.objects.get(pk=due.pk).last_refreshed_at is not None
    assert "could not be mailed (ConnectionRefusedError); will retry" in caplog.text
    assert SpotifyGrant.objects.get(pk=ended.pk).reconnect_notice_sent_at is None  # released for a later sweep

    settings.MAILERS = locmem
    assert grants_refresh_expiring().notices_sent == 1
    assert mail.outbox[0].to == ["pat@example.com"]


class RefusingSmtp(socketserver.ThreadingTCPServer):
    """A mail server that refuses some recipients (550) and takes the other mails; what it took."""

    daemon_threads = allow_reuse_address = True

    def __init__(self, refuse: set[str]):
        self.refuse, self.delivered, self.refused = refuse, [], []
        super().__init__(("127.0.0.1", 0), SmtpSession)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def mailer(self) -> dict:
        return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                            "OPTIONS": {"host": "127.0.0.1", "port": self.server_address[1], "timeout": 5}}}


class SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        def say(line: str):
            self.wfile.write(f"{line}\r\n".encode())

        say("220 refusing-smtp")
        recipients = []
        while line := self.rfile.readline().decode().strip():
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "RCPT":
                address = line.split("<", 1)[1].split(">", 1)[0]
                refused = address in self.server.refuse
                (self.server.refused if refused else recipients).append(address)
                say("550 no such mailbox" if refused else "250 ok")
            elif verb == "DATA":
                say("354 go on")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.server.delivered += recipients
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:  # EHLO, MAIL, RSET, NOOP
                say("250 ok")


def test_an_address_the_mail_server_refuses_is_not_tried_again_and_the_others_get_theirs(emulator, pat, django_user_model, settings, caplog):
    sam = django_user_model.objects.create_user(username="sam", email="sam@example.com")
    for someone in (pat, sam):
        consented(make_grant(emulator, someone)[0], days_ago=200)
    server = RefusingSmtp(refuse={"pat@example.com"})
    settings.MAILERS = server.mailer()
    try:
        with caplog.at_level(logging.INFO, logger="mcpgateway"):
            assert grants_refresh_expiring().notices_sent == 1
        assert server.delivered == ["sam@example.com"] and server.refused == ["pat@example.com"]
        assert "the mail server refused the address; not retried" in caplog.text
        assert grants_refresh_expiring().notices_sent == 0
        assert server.refused == ["pat@example.com"]  # not asked again
    finally:
        server.shutdown()
        server.server_close()


def test_notices_beyond_the_sweep_s_time_budget_wait_for_the_next_sweep(emulator, pat, django_user_model, monkeypatch):
    monkeypatch.setattr(notices, "NOTICES_BUDGET_SECONDS", 0)
    people = [pat] + [django_user_model.objects.create_user(username=f"p{i}", email=f"p{i}@example.com") for i in range(2)]
    for someone in people:
        consented(make_grant(emulator, someone)[0], days_ago=200)
    assert [grants_refresh_expiring().notices_sent for _ in range(4)] == [1, 1, 1, 0]
    assert sorted(message.to[0] for message in mail.outbox) == ["p0@example.com", "p1@example.com", "pat@example.com"]


async def call_tool(url: str, token: str, name: str):
    async with mcp_client(f"{url}/mcp", token, mode=MODERN) as client:
        return await client.call_tool(name, {})


def test_a_gateway_worker_that_cached_the_grant_answers_reconnect_with_the_dashboard_once_the_sweep_ends_it(emulator, pat, start_gateway):
    gateway = start_gateway()
    grant, _ = make_grant(emulator, pat, spotify_user_id="alice")
    token = make_personal_access_token(pat)
    assert not asyncio.run(call_tool(gateway, token, "get_my_profile")).is_error  # the worker caches the grant

    consented(grant, days_ago=183)
    assert grants_refresh_expiring().ended == 1

    answer = asyncio.run(call_tool(gateway, token, "get_my_profile"))
    text = " ".join(getattr(block, "text", "") for block in answer.content)
    assert answer.is_error and re.search(r"Reconnect Spotify at http://[^ ]+/ and try again", text), text
