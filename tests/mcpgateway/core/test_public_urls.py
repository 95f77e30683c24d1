"""Every URL the gateway hands out is built from PUBLIC_BASE_URL, and a browser that arrives through
another allowed host is sent to PUBLIC_BASE_URL's host before anything else happens."""

import pytest
from django.test import Client

from tests.mcpgateway.oauth.conftest import connect_spotify

pytestmark = pytest.mark.django_db


@pytest.fixture
def public(settings):
    settings.PUBLIC_BASE_URL = "https://music.example.test"
    settings.ALLOWED_HOSTS = ["music.example.test", "127.0.0.1", "localhost"]
    return "https://music.example.test"


def test_a_page_reached_through_another_host_is_redirected_to_the_public_one(public):
    response = Client(HTTP_HOST="localhost:8000").get("/accounts/login/?next=/")
    assert response.status_code == 302
    assert response["Location"] == f"{public}/accounts/login/?next=/"


def test_the_oauth_authorize_page_is_moved_too_so_its_sign_in_cookie_comes_back(public):
    response = Client(HTTP_HOST="127.0.0.1:8000").get("/oauth/authorize?client_id=x&state=s")
    assert response.status_code == 302 and response["Location"] == f"{public}/oauth/authorize?client_id=x&state=s"


@pytest.mark.parametrize("path", ["/healthz", "/.well-known/oauth-authorization-server", "/mcp/server-card", "/api/openapi.json"])
def test_machine_endpoints_answer_on_any_allowed_host(public, path):
    assert Client(HTTP_HOST="127.0.0.1:8000").get(path).status_code in (200, 503)


def test_a_script_calling_the_rest_api_on_another_host_is_answered_not_moved(public):
    assert Client(HTTP_HOST="127.0.0.1:8000").get("/api/me").status_code == 401


def test_the_dashboard_shows_the_public_mcp_url_whatever_the_host_header(public, django_user_model):
    person = django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    connect_spotify(person)
    browser = Client(HTTP_HOST="music.example.test", **{"wsgi.url_scheme": "http"})
    browser.force_login(person)
    page = browser.get("/").content.decode()
    assert f'<code data-testid="mcp-url">{public}/mcp</code>' in page


def test_the_new_token_page_shows_the_public_mcp_url(public, django_user_model):
    person = django_user_model.objects.create_user(username="robin", password="a long and unusual password")
    browser = Client(HTTP_HOST="music.example.test")
    browser.force_login(person)
    page = browser.post("/tokens/create", {"name": "laptop", "scopes": ["spotify:read"], "expires_in": "30"}).content.decode()
    assert f"{public}/mcp" in page and "http://music.example.test/mcp" not in page


def test_the_redirect_can_be_turned_off_for_proxies_that_rewrite_host(public, settings):
    settings.CANONICAL_HOST_REDIRECT = False
    assert Client(HTTP_HOST="localhost").get("/accounts/login/").status_code == 200
