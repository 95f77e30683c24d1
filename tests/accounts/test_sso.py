"""Single sign-on through an OpenID Connect provider (accounts/sso.py), against a real provider:
django-oauth-toolkit in OIDC mode, its own project in its own process (tests/support/oidc_provider),
with a fresh RSA key. In chromium against a gateway worker (uvicorn) as a person meets it, and over
HTTP with the test client for the rules the browser adds nothing to."""

from __future__ import annotations

import os
import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings

from accounts import sso
from tests.support.oidc_provider.process import OidcProvider
from tests.support.processes import GatewayProcesses, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

CLIENT_ID = "spotify-mcp-gateway"
CLIENT_SECRET = "the gateway's client secret at the provider"
LABEL = "Team SSO"
PASSWORD = "a provider password"
PEOPLE = [
    {"username": "sam", "email": "sam@team.example", "email_verified": True, "given_name": "Sam", "family_name": "Jones"},
    {"username": "robin", "email": "Robin@partner.example", "email_verified": True},
    {"username": "eve", "email": "eve@elsewhere.example", "email_verified": True},
    {"username": "una", "email": "una@team.example", "email_verified": False},
]
GATEWAY_PORT = free_port()


@pytest.fixture(scope="module")
def provider():
    redirect_uris = [f"http://127.0.0.1:{GATEWAY_PORT}/oidc/callback/", f"{django_settings.PUBLIC_BASE_URL}/oidc/callback/"]
    people = [{**person, "password": PASSWORD} for person in PEOPLE]
    with OidcProvider(people, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris}) as running:
        yield running


def sso_environment(issuer: str) -> dict[str, str]:
    return {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_ALLOWED_EMAIL_DOMAINS": "team.example, Other.example",
        "OIDC_BUTTON_LABEL": LABEL,
    }


@pytest.fixture(scope="module")
def gateway(provider, django_db_setup):
    """A gateway worker configured for the provider, shared by this module's browser tests."""
    processes = GatewayProcesses()
    try:
        yield processes.start(GATEWAY_PORT, **sso_environment(provider.issuer))
    finally:
        processes.stop()


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: ./dev test installs it"
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # plain ORM calls between browser steps
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context()  # a browser of its own: no cookies from the test before
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in_with_the_provider(page, gateway: str, username: str) -> None:
    page.goto(gateway + "/")
    assert "/accounts/login/" in page.url
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.wait_for_url(re.compile(re.escape(gateway) + "/.*"))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_new_person_at_an_allowed_domain_signs_in_through_the_provider_and_lands_on_the_dashboard(gateway, page, django_user_model):
    sign_in_with_the_provider(page, gateway, "sam")

    assert urlsplit(page.url).path == "/"
    header = page.locator("header").inner_text()
    assert "sam@team.example" in header and "Sign out" in header
    person = django_user_model.objects.get(email="sam@team.example")
    assert (person.first_name, person.last_name, person.is_active) == ("Sam", "Jones", True)
    assert not person.has_usable_password()  # they sign in through the provider

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()  # the provider remembers them: no form
    page.wait_for_url(gateway + "/")
    assert "sam@team.example" in page.locator("header").inner_text()
    assert django_user_model.objects.filter(email__iexact="sam@team.example").count() == 1


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_person_outside_the_allowed_domains_gets_a_page_saying_why(gateway, page, django_user_model):
    sign_in_with_the_provider(page, gateway, "eve")

    refusal = page.get_by_test_id("sso-refused").inner_text()
    assert "No gateway account has the email address eve@elsewhere.example" in refusal
    assert "team.example, other.example" in refusal and "Ask an admin to invite you" in refusal
    assert "Sign out" not in page.locator("header").inner_text()
    assert not django_user_model.objects.exists()
    page.get_by_role("link", name="Back to the sign-in page").click()
    assert page.get_by_role("link", name=f"Sign in with {LABEL}").is_visible()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_unverified_email_is_refused_even_at_an_allowed_domain(gateway, page, django_user_model):
    sign_in_with_the_provider(page, gateway, "una")

    assert "has not verified your email address una@team.example" in page.get_by_test_id("sso-refused").inner_text()
    assert not django_user_model.objects.exists()
    page.goto(gateway + "/")
    assert "/accounts/login/" in page.url  # not signed in


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_the_provider_down_the_gateway_starts_and_the_sign_in_page_says_so(start_gateway, page, django_user_model):
    django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gateway = start_gateway(**sso_environment(down))

    page.goto(gateway + "/accounts/login/?next=/")
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()

    assert urlsplit(page.url).path == "/accounts/login/"
    assert f"Signing in with {LABEL} is unavailable right now" in page.locator(".messages").inner_text()
    page.get_by_label("Username").fill("robin")
    page.get_by_label("Password").fill("a long and unusual password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert urlsplit(page.url).path == "/"
    assert "robin" in page.locator("header").inner_text()


# --- Over HTTP, with the test client ------------------------------------------------------------


@pytest.fixture
def sso_on(provider, settings):
    settings.SSO_ENABLED = True
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["team.example"]
    settings.OIDC_BUTTON_LABEL = LABEL
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.sso.SsoBackend"]
    sso.forget_discovery()
    yield provider
    sso.forget_discovery()


def provider_redirect(authorize_url: str, username: str) -> str:
    """Play the person at the provider (its sign-in form); the URL it sends them back to."""
    with httpx.Client(follow_redirects=False) as http:
        to_login = http.get(authorize_url)
        assert to_login.status_code == 302, to_login.text
        login_url = urljoin(authorize_url, to_login.headers["location"])
        form = http.get(login_url)
        token = unescape(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1))
        next_url = unescape(re.search(r'name="next" value="([^"]*)"', form.text).group(1))
        signed_in = http.post(login_url, data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": next_url})
        assert signed_in.status_code == 302, signed_in.text
        back = http.get(urljoin(authorize_url, signed_in.headers["location"]))
        assert back.status_code == 302, back.text
        return back.headers["location"]


def start_and_return(client, username: str) -> str:
    """Start single sign-on on the gateway and come back from the provider; the callback's path and query."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    back = urlsplit(provider_redirect(start["Location"], username))
    assert back.path == "/oidc/callback/"
    return f"{back.path}?{back.query}"


@pytest.mark.django_db
def test_single_sign_on_is_off_unless_configured(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_an_existing_account_is_matched_by_verified_email_whatever_its_domain(client, sso_on, django_user_model):
    robin = django_user_model.objects.create_user(username="robin", email="robin@partner.example", password="x" * 20)

    assert f"Sign in with {LABEL}" in client.get("/accounts/login/").content.decode()
    answer = client.get(start_and_return(client, "robin"))

    assert answer.status_code == 302 and answer["Location"] == "/"
    assert client.get("/").context["user"] == robin
    assert django_user_model.objects.count() == 1


@pytest.mark.django_db
def test_a_deactivated_account_is_refused_and_its_session_ends(client, sso_on, django_user_model):
    robin = django_user_model.objects.create_user(username="robin", email="robin@partner.example", password="x" * 20, is_active=False)

    answer = client.get(start_and_return(client, "robin"))

    assert answer.status_code == 403
    assert "Your gateway account is deactivated" in answer.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")
    robin.is_active = True
    robin.save()
    assert client.get(start_and_return(client, "robin")).status_code == 302
    assert client.get("/").status_code == 200
    django_user_model.objects.filter(pk=robin.pk).update(is_active=False)
    assert client.get("/")["Location"].startswith("/accounts/login/")  # the SSO session ends with the account


@pytest.mark.django_db
def test_an_invited_person_gets_an_account_whatever_their_domain(client, sso_on, django_user_model, monkeypatch):
    monkeypatch.setattr(sso, "sso_invited", lambda email: email == "eve@elsewhere.example")

    answer = client.get(start_and_return(client, "eve"))

    assert answer.status_code == 302
    assert django_user_model.objects.get(email="eve@elsewhere.example").username == "eve@elsewhere.example"


@pytest.mark.django_db
def test_a_callback_used_twice_or_forged_gets_a_page_not_an_error(client, sso_on):
    callback = start_and_return(client, "sam")
    assert client.get(callback).status_code == 302
    client.logout()

    replayed = client.get(callback)
    assert replayed.status_code == 400
    assert "expired or was already used" in replayed.content.decode()

    client.get("/oidc/authenticate/")  # a sign-in under way: its state is in the session
    forged = client.get("/oidc/callback/?code=made-up&state=made-up")
    assert forged.status_code == 400 and "could not be verified" in forged.content.decode()
    cancelled = client.get("/oidc/callback/?error=access_denied&state=made-up")
    assert cancelled.status_code == 400 and f"{LABEL} did not sign you in (access_denied)" in cancelled.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_locked_out_address_is_refused_single_sign_on_too_and_passwords_still_work(client, sso_on, django_user_model, settings):
    django_user_model.objects.create_user(username="robin", email="robin@partner.example", password="a long and unusual password")
    assert client.post("/accounts/login/", {"username": "robin", "password": "a long and unusual password"}).status_code == 302
    client.logout()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": f"guess{attempt}", "password": "wrong"})

    callback = start_and_return(client, "robin")
    answer = client.get(callback)

    assert answer.status_code == 429
    assert "signing in is locked" in answer.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    recorded = " ".join(AccessAttempt.objects.values_list("get_data", flat=True))
    assert "code=" in recorded and code not in recorded  # the unused code is not kept for the admin


@pytest.mark.django_db
@pytest.mark.parametrize("claims, reason", [
    ({"iss": "https://another-provider.example", "aud": CLIENT_ID}, "another provider"),
    ({"aud": "another-client"}, "meant for another application"),
    ({"aud": ["another-client", "a-third"]}, "meant for another application"),
])
def test_an_id_token_from_another_issuer_or_for_another_client_is_refused(sso_on, claims, reason):
    # The library checks the signature and the nonce, not these: a token the provider made for
    # another application must not sign anyone in here.
    payload = {"iss": sso_on.issuer, "sub": "1", **claims}
    with pytest.raises(sso.SsoRefused, match=reason):
        sso.SsoBackend().get_or_create_user("access token", "id token", payload)
