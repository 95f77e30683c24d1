"""Single sign-on through an OpenID Connect provider (accounts/sso.py), against a real provider:
django-oauth-toolkit in OIDC mode, its own project in its own process (tests/support/oidc_provider),
with a fresh RSA key. In chromium against a gateway worker (uvicorn) as a person meets it, and over
HTTP with the test client for the rules the browser adds nothing to."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.utils import timezone

from accounts import sso
from accounts.models import Invitation
from accounts.services import invitation_create
from mcpgateway.audit.models import AuditEvent
from tests.conftest import public_client
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
def test_an_invitee_outside_the_allowed_domains_signs_up_with_the_provider_from_the_invitation(gateway, page, browser, django_user_model):
    django_user_model.objects.create_superuser(username="root", password="an admin password 123", email="")
    page.goto(gateway + "/accounts/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("an admin password 123")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(gateway + "/team/invitations")
    page.fill("#invitation-note", "Eve")
    page.select_option("#invitation-role", "admin")
    page.click("#create-invitation")
    link = page.input_value("[data-testid=invitation-link]")

    invitee = browser.new_context().new_page()  # the invitee's own browser
    invitee.set_default_timeout(15_000)
    invitee.goto(link)
    invitee.get_by_role("button", name=f"Sign up with {LABEL}").click()
    invitee.get_by_label("Provider username").fill("eve")  # eve@elsewhere.example: not an allowed domain
    invitee.get_by_label("Provider password").fill(PASSWORD)
    invitee.get_by_role("button", name="Sign in at the provider").click()
    invitee.wait_for_url(gateway + "/")

    assert "Welcome, eve@elsewhere.example: your account is ready" in invitee.locator(".messages").inner_text()
    header = invitee.locator("header").inner_text()
    assert "eve@elsewhere.example" in header and "Sign out" in header
    eve = django_user_model.objects.get(email="eve@elsewhere.example")
    assert eve.is_staff and not eve.has_usable_password()  # the invitation's role; signs in through the provider
    page.goto(gateway + "/team/invitations")
    assert page.inner_text("[data-testid=invitation-status]") == "used by eve@elsewhere.example"
    invitee.goto(link)
    assert "This invitation has been used already" in invitee.locator("body").inner_text()
    invitee.context.close()


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
    for sign_in_page in ("/accounts/login/", "/admin/login/?next=/admin/"):
        assert "Sign in with" not in client.get(sign_in_page).content.decode()
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
def test_an_admin_signs_in_to_the_admin_with_single_sign_on_from_its_own_sign_in_page(client, sso_on, django_user_model):
    from accounts.services import user_set_role

    robin = django_user_model.objects.create_user(username="robin", email="robin@partner.example", password="x" * 20)
    boss = django_user_model.objects.create_superuser(username="boss", password="y" * 20)
    user_set_role(user=robin, role="admin", changed_by=boss)
    page = client.get("/admin/login/?next=/admin/mcpgateway/spotifygrant/").content.decode()
    button = re.search(r'<a class="button" data-testid="sso-sign-in" href="([^"]+)">Sign in with ' + re.escape(LABEL), page)
    assert button, page
    start = client.get(unescape(button.group(1)))
    back = urlsplit(provider_redirect(start["Location"], "robin"))
    answer = client.get(f"{back.path}?{back.query}")
    assert answer.status_code == 302 and answer["Location"] == "/admin/mcpgateway/spotifygrant/"
    assert client.get(answer["Location"]).status_code == 200


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


# --- Signing up with the provider from an invitation -----------------------------------------------


@pytest.fixture
def invite(django_user_model):
    """invite(**invitation_create's options) -> (the invitation, its page's path)."""
    admin = django_user_model.objects.create_superuser(username="root", password="x" * 20, email="")

    def make(**options):
        invitation, token = invitation_create(created_by=admin, **{"role": "member", **options})
        return invitation, f"/accounts/invitation/{token}"

    return make


def press_sign_up(client, path: str) -> None:
    """The invitation page's "Sign up with" button: its form posts, then single sign-on starts."""
    page = client.get(path).content.decode()
    assert f"Sign up with {LABEL}" in page and f'action="{path}/sso"' in page
    pressed = client.post(f"{path}/sso")
    assert pressed.status_code == 302 and pressed["Location"] == "/oidc/authenticate/"


def sign_up_with_the_provider(client, path: str, username: str):
    press_sign_up(client, path)
    return client.get(start_and_return(client, username))


@pytest.mark.django_db
def test_an_invitee_outside_the_allowed_domains_gets_an_account_with_the_invitations_role(client, sso_on, invite, django_user_model):
    invitation, path = invite(role="admin", allowed_email_domains="elsewhere.example")

    answer = sign_up_with_the_provider(client, path, "eve")

    assert answer.status_code == 302 and answer["Location"] == "/"
    eve = django_user_model.objects.get(email="eve@elsewhere.example")
    dashboard = client.get("/")
    assert dashboard.context["user"] == eve and "Welcome, eve@elsewhere.example" in dashboard.content.decode()
    assert eve.is_staff and not eve.has_usable_password()
    invitation.refresh_from_db()
    assert (invitation.status, invitation.used_by) == ("used", eve)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_ACCEPTED, user=eve).count() == 1
    assert sso.SSO_INVITATION_SESSION_KEY not in client.session  # one sign-up per press


@pytest.mark.django_db
def test_the_sign_up_button_is_only_there_with_single_sign_on_and_posts_with_csrf(client, invite, settings):
    _, path = invite()
    assert "Sign up with" not in client.get(path).content.decode()
    assert client.post(f"{path}/sso").status_code == 404  # single sign-on is off
    settings.SSO_ENABLED = True
    assert client.get(f"{path}/sso").status_code == 405
    strict = public_client(enforce_csrf_checks=True)
    assert strict.post(f"{path}/sso").status_code == 403
    assert sso.SSO_INVITATION_SESSION_KEY not in strict.session


@pytest.mark.django_db
@pytest.mark.parametrize("status, change", [
    ("used", {"used_at": timezone.now}),
    ("expired", {"expires_at": lambda: timezone.now() - timedelta(seconds=1)}),
    ("revoked", {"revoked_at": timezone.now}),
])
def test_an_invitation_that_is_no_longer_open_starts_nothing(client, sso_on, invite, status, change):
    invitation, path = invite()
    Invitation.objects.filter(pk=invitation.pk).update(**{field: value() for field, value in change.items()})

    pressed = client.post(f"{path}/sso")

    assert pressed.status_code == 410 and status in pressed.content.decode()
    assert sso.SSO_INVITATION_SESSION_KEY not in client.session
    assert client.post("/accounts/invitation/smgi_made-up/sso").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("change, reason", [
    ({"used_at": timezone.now}, "The invitation you signed up with has been used already"),
    ({"expires_at": lambda: timezone.now() - timedelta(seconds=1)}, "The invitation you signed up with has expired"),
    ({"revoked_at": timezone.now}, "The invitation you signed up with was withdrawn"),
])
def test_an_invitation_used_expired_or_revoked_while_at_the_provider_is_refused(client, sso_on, invite, django_user_model, change, reason):
    invitation, path = invite()
    press_sign_up(client, path)
    callback = start_and_return(client, "eve")
    Invitation.objects.filter(pk=invitation.pk).update(**{field: value() for field, value in change.items()})

    answer = client.get(callback)

    assert answer.status_code == 403 and reason in answer.content.decode()
    assert not django_user_model.objects.filter(email="eve@elsewhere.example").exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_ACCEPTED).exists()
    assert client.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_an_invitation_for_other_email_domains_is_refused_and_stays_open(client, sso_on, invite, django_user_model):
    invitation, path = invite(allowed_email_domains="partner.example")

    answer = sign_up_with_the_provider(client, path, "eve")

    assert answer.status_code == 403
    assert ("This invitation is for addresses at partner.example. Team SSO signed you in as eve@elsewhere.example, "
            "so no account was created.") in unescape(answer.content.decode())
    assert not django_user_model.objects.filter(email="eve@elsewhere.example").exists()
    invitation.refresh_from_db()
    assert invitation.status == "open"
    # The session forgot the invitation: signing in again (the sign-in page's button) is refused.
    again = client.get(start_and_return(client, "eve"))
    assert again.status_code == 403 and "No gateway account has the email address eve@elsewhere.example" in again.content.decode()


@pytest.mark.django_db
def test_without_pressing_the_invitations_button_the_invitee_is_refused(client, sso_on, invite, django_user_model):
    invitation, path = invite()
    assert client.get(path).status_code == 200  # opening the link is not enough

    answer = client.get(start_and_return(client, "eve"))

    assert answer.status_code == 403 and "Ask an admin to invite you" in answer.content.decode()
    assert not django_user_model.objects.filter(email="eve@elsewhere.example").exists()
    invitation.refresh_from_db()
    assert invitation.status == "open"


@pytest.mark.django_db
def test_an_existing_account_just_signs_in_and_the_invitation_stays_open(client, sso_on, invite, django_user_model):
    robin = django_user_model.objects.create_user(username="robin", email="robin@partner.example", password="x" * 20)
    invitation, path = invite(role="admin")

    answer = sign_up_with_the_provider(client, path, "robin")

    dashboard = client.get("/")
    assert answer.status_code == 302 and dashboard.context["user"] == robin and "Welcome" not in dashboard.content.decode()
    robin.refresh_from_db()
    assert not robin.is_staff and django_user_model.objects.count() == 2  # robin and the admin
    invitation.refresh_from_db()
    assert invitation.status == "open"


@pytest.mark.django_db
def test_two_people_signing_up_with_one_invitation_make_one_account(sso_on, invite, django_user_model):
    _, path = invite()
    first, second = public_client(), public_client()
    press_sign_up(first, path)
    press_sign_up(second, path)  # both pressed while it was open
    first_callback = start_and_return(first, "eve")
    second_callback = start_and_return(second, "robin")

    assert first.get(first_callback).status_code == 302
    refused = second.get(second_callback)

    assert refused.status_code == 403 and "has been used already" in refused.content.decode()
    assert list(django_user_model.objects.exclude(username="root").values_list("email", flat=True)) == ["eve@elsewhere.example"]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.INVITATION_ACCEPTED).count() == 1
