"""The person-facing pages as people meet them (issue #11 part 5): confirmations before disconnecting
Spotify or an OAuth client, a token form that keeps its input after an error, plain-language scope
names with the raw id on hover, relative times, styled error pages with a way back (DEBUG off), and
WCAG AA contrast of the stylesheet's colours."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousOperation
from django.urls import include, path
from django.utils import timezone

from accounts.models import PersonalAccessToken
from mcpgateway.core.scopes import SCOPE_NAMES
from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.templatetags.gateway_ui import relative_words
from tests.conftest import make_grant, make_personal_access_token, public_client

pytestmark = pytest.mark.django_db


def _raise_server_error(request):
    raise RuntimeError("a bug")


def _raise_bad_request(request):
    raise SuspiciousOperation("a forged request")


# The gateway's own URLs plus two views that fail, for the 400 and 500 pages (pytest.mark.urls).
urlpatterns = [
    path("test-only/boom", _raise_server_error),
    path("test-only/bad", _raise_bad_request),
    path("", include("config.urls")),
]


@pytest.fixture
def signed_in(client, person):
    client.force_login(person)
    return client


# --- confirmations ------------------------------------------------------------------------------


def test_disconnecting_spotify_asks_first_and_the_confirmation_page_does_it(signed_in, person, emulator):
    make_grant(emulator, person)
    dashboard = signed_in.get("/").content.decode()
    assert '<a class="button" href="/spotify/disconnect" id="disconnect-spotify">Disconnect Spotify…</a>' in dashboard
    assert 'action="/spotify/disconnect"' not in dashboard  # no one-click disconnect

    confirmation = signed_in.get("/spotify/disconnect")
    page = confirmation.content.decode()
    assert confirmation.status_code == 200 and page.count("<h1>") == 1 and "Disconnect Spotify" in page
    assert SpotifyGrant.objects.get(user=person).status == SpotifyGrant.Status.ACTIVE  # looking changes nothing
    form = re.search(r'<form method="post" id="confirm-disconnect-spotify">(.*?)</form>', page, re.S).group(1)
    assert '<button class="danger" type="submit">Disconnect Spotify</button>' in form and 'href="/"' in form  # and Cancel

    done = signed_in.post("/spotify/disconnect", follow=True)
    assert SpotifyGrant.objects.get(user=person).status == SpotifyGrant.Status.DISCONNECTED
    assert "Spotify disconnected" in done.content.decode()


def test_the_disconnect_confirmation_without_a_connection_goes_back_to_the_dashboard(signed_in):
    response = signed_in.get("/spotify/disconnect", follow=True)
    assert response.redirect_chain == [("/", 302)] and "Spotify is not connected." in response.content.decode()


def test_revoking_a_token_or_disconnecting_an_oauth_client_goes_through_a_confirmation(signed_in, person):
    make_personal_access_token(person, name="laptop script")
    token = PersonalAccessToken.objects.get()
    dashboard = signed_in.get("/").content.decode()
    assert f'<a class="button" href="/tokens/{token.pk}/revoke">Revoke laptop script…</a>' in dashboard
    assert f'action="/tokens/{token.pk}/revoke"' not in dashboard
    confirmation = signed_in.get(f"/tokens/{token.pk}/revoke").content.decode()
    assert "Revoke the token “laptop script”?" in confirmation
    assert PersonalAccessToken.objects.get().revoked_at is None


# --- the token form keeps its input -----------------------------------------------------------


def test_a_refused_token_keeps_the_name_scopes_and_expiry_typed(signed_in):
    response = signed_in.post("/tokens/create", {"name": "x" * 101, "scopes": ["spotify:playlists", "api"], "expires_in": "365"})
    page = response.content.decode()
    assert response.status_code == 400 and "The token was not created: " in page and "at most 100" in page
    assert f'value="{"x" * 101}"' in page
    ticked = set(re.findall(r'<input type="checkbox" name="scopes" value="([^"]+)" checked>', page))
    assert ticked == {"spotify:playlists", "api"}
    assert '<option value="365" selected>' in page and '<option value="90" selected>' not in page
    assert not PersonalAccessToken.objects.exists()


def test_the_fresh_token_form_ticks_the_mcp_scopes_and_90_days(signed_in):
    page = signed_in.get("/").content.decode()
    ticked = set(re.findall(r'<input type="checkbox" name="scopes" value="([^"]+)" checked>', page))
    assert ticked == {"spotify:read", "spotify:playback", "spotify:library", "spotify:playlists"}
    assert '<option value="90" selected>' in page and 'id="token-name" name="name" maxlength="100" required placeholder="e.g. laptop script" value=""' in page


# --- scope names, relative times --------------------------------------------------------------


def test_scopes_read_in_plain_language_with_the_raw_id_on_hover(signed_in, person):
    make_personal_access_token(person, name="laptop", scopes={"spotify:read", "api"})
    page = signed_in.get("/").content.decode()
    row = re.search(r'<tbody data-testid="token-row"[^>]*>(.*?)</tbody>', page, re.S).group(1)
    assert f'<span class="scope" title="spotify:read">{SCOPE_NAMES["spotify:read"]}</span>' in row
    assert '<span class="scope" title="api">Use the gateway&#x27;s REST API as you</span>' in row
    assert "spotify:read</td>" not in row and "<code>spotify:read</code>" not in page  # the form names them too
    assert f'<strong class="scope" title="spotify:playback">{SCOPE_NAMES["spotify:playback"]}</strong>' in page


def test_times_are_written_relative_in_a_time_element_the_script_keeps_current(signed_in, person):
    make_personal_access_token(person, name="laptop")
    used = timezone.now() - timedelta(minutes=3, seconds=5)
    PersonalAccessToken.objects.update(last_used_at=used)
    page = signed_in.get("/").content.decode()
    assert f'<time datetime="{used.isoformat()}" title="{used:%Y-%m-%d %H:%M:%S} UTC" data-relative>3 minutes ago</time>' in page
    assert '<script src="/static/js/relative-time.js" defer></script>' in page
    assert finders.find("js/relative-time.js") and finders.find("css/gateway.css")  # served by the app (SERVE_STATIC)


@pytest.mark.parametrize(("delta", "words"), [
    (timedelta(seconds=10), "just now"), (timedelta(minutes=1), "1 minute ago"), (timedelta(hours=5, minutes=59), "5 hours ago"),
    (timedelta(days=1), "1 day ago"), (timedelta(days=15), "2 weeks ago"), (timedelta(days=400), "1 year ago"),
    (-timedelta(days=3, hours=1), "in 3 days"), (-timedelta(seconds=5), "in less than a minute"),
])
def test_relative_words(delta, words):
    now = timezone.now()
    assert relative_words(now - delta, now) == words


# --- error pages (DEBUG off, as in production) ----------------------------------------------------


def assert_styled_error_page(response, status: int, heading: str) -> None:
    page = response.content.decode()
    assert response.status_code == status, page[:300]
    assert page.count("<h1>") == 1 and f"<h1>{heading}</h1>" in page
    assert '<a class="button primary" href="/" data-testid="back-to-dashboard">Back to the dashboard</a>' in page
    assert "/static/css/gateway.css" in page and "Traceback" not in page and "a bug" not in page


def test_an_unknown_page_gets_the_styled_404_with_a_way_back(client):
    assert not settings.DEBUG
    assert_styled_error_page(client.get("/no/such/page"), 404, "Page not found")


def test_a_forbidden_page_gets_the_styled_403(person):
    member = public_client()
    member.force_login(person)
    assert_styled_error_page(member.get("/team/invitations"), 403, "Not allowed")


@pytest.mark.urls(__name__)
def test_a_bug_gets_the_styled_500_and_a_bad_request_the_400():
    browser = public_client(raise_request_exception=False)
    assert_styled_error_page(browser.get("/test-only/boom"), 500, "Something went wrong")
    assert_styled_error_page(browser.get("/test-only/bad"), 400, "Bad request")


# --- contrast -------------------------------------------------------------------------------------

CSS = Path(finders.find("css/gateway.css")).read_text()
# (text, background) pairs the stylesheet uses for text.
TEXT_ON_BACKGROUND = [
    ("fg", "bg"), ("fg", "surface"), ("muted", "surface"), ("muted", "bg"), ("link", "surface"), ("link", "bg"),
    ("ok", "surface"), ("ok", "ok-bg"), ("warn", "surface"), ("warn", "warn-bg"), ("bad", "surface"), ("bad", "bad-bg"),
    ("on-accent", "accent"), ("header-fg", "header-bg"), ("fg", "code-bg"), ("muted", "code-bg"), ("link", "code-bg"),
]


def css_variables() -> dict[str, str]:
    root = re.search(r":root\s*{(.*?)}", CSS, re.S).group(1)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", root))


def relative_luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize(("text", "background"), TEXT_ON_BACKGROUND)
def test_text_colours_reach_wcag_aa_contrast(text, background):
    colours = css_variables()
    assert contrast(colours[text], colours[background]) >= 4.5, (text, colours[text], background, colours[background])


def test_the_danger_button_reaches_wcag_aa_contrast():
    assert "button.danger, .button.danger { background: var(--bad); border-color: var(--bad); color: #fff;" in CSS
    assert contrast(css_variables()["bad"], "#fff") >= 4.5


def test_contrast_is_computed_as_wcag_says():
    assert round(contrast("#000", "#fff"), 1) == 21.0 and round(contrast("#777", "#fff"), 2) == 4.48


def test_a_form_sent_without_its_csrf_token_gets_the_styled_403_and_changes_nothing(person):
    browser = public_client(enforce_csrf_checks=True)
    browser.force_login(person)
    assert_styled_error_page(browser.post("/tokens/create", {"name": "laptop", "scopes": ["spotify:read"], "expires_in": "30"}),
                             403, "The form expired")
    assert not PersonalAccessToken.objects.exists()


def test_a_refused_invitation_keeps_what_the_admin_typed(admin_client):
    from accounts.models import Invitation

    form = {"note": "Sam from design", "role": "admin", "allowed_email_domains": "not a domain!", "expires_in_days": "30"}
    response = admin_client.post("/team/invitations/create", form)
    page = response.content.decode()
    assert response.status_code == 400 and "The invitation was not created: " in page
    assert 'value="Sam from design"' in page and 'value="not a domain!"' in page
    assert '<option value="admin" selected>' in page and '<option value="30" selected>' in page
    assert not Invitation.objects.exists()
