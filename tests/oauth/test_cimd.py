"""Client ID Metadata Documents: a client identified by an https URL; bad documents are refused."""

import uuid

import pytest
from oauth2_provider.models import Application

from tests.oauth.conftest import REDIRECT_URI, authorize_url, pkce_pair

pytestmark = pytest.mark.django_db(transaction=True)


class Ref:
    """An Application-like handle for a client that exists only as a URL so far."""

    def __init__(self, client_id):
        self.client_id = client_id


def document_for(url: str, **extra) -> dict:
    return {"client_id": url, "client_name": "CIMD app", "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"], "token_endpoint_auth_method": "none", **extra}


def new_url(path_prefix="clients") -> tuple[str, str]:
    path = f"/{path_prefix}/{uuid.uuid4().hex}.json"
    return f"https://cimd.test{path}", path


def test_a_client_known_only_by_its_metadata_url_gets_a_consent_page(signed_in, cimd_documents):
    url, path = new_url()
    cimd_documents.publish(path, document_for(url))
    _v, challenge = pkce_pair()

    page = signed_in.get(authorize_url(Ref(url), challenge))
    assert page.status_code == 200, page.content[:300]
    assert "CIMD app" in page.content.decode()
    application = Application.objects.get(client_id=url)
    assert application.registration_source == Application.RegistrationSource.CIMD

    # Cached: a second authorization does not fetch the document again.
    signed_in.get(authorize_url(Ref(url), challenge))
    assert cimd_documents.hits[path] == 1


def test_a_document_whose_client_id_differs_from_its_url_is_refused(signed_in, cimd_documents):
    url, path = new_url()
    cimd_documents.publish(path, document_for("https://cimd.test/clients/someone-else.json"))
    _v, challenge = pkce_pair()
    response = signed_in.get(authorize_url(Ref(url), challenge))
    assert response.status_code == 400
    assert not Application.objects.filter(client_id=url).exists()


def test_an_oversized_document_is_refused(signed_in, cimd_documents):
    url, path = new_url()
    cimd_documents.publish(path, document_for(url), pad_to=17 * 1024)
    _v, challenge = pkce_pair()
    assert signed_in.get(authorize_url(Ref(url), challenge)).status_code == 400
    assert not Application.objects.filter(client_id=url).exists()


def test_a_slow_document_is_refused(signed_in, cimd_documents):
    url, path = new_url()
    cimd_documents.publish(path, document_for(url), delay=2.5)  # the fetch timeout is 1 s here
    _v, challenge = pkce_pair()
    assert signed_in.get(authorize_url(Ref(url), challenge)).status_code == 400
    assert not Application.objects.filter(client_id=url).exists()


@pytest.mark.parametrize("url", ["https://127.0.0.1/client.json", "https://localhost/client.json", "https://10.1.2.3/client.json",
                                 "https://[::1]/client.json", "https://169.254.169.254/latest/meta-data.json"])
def test_a_document_at_a_private_address_is_never_fetched(signed_in, url):
    """The production fetcher (DOT's SafeMetadataFetcher) is in force: no test fetcher here."""
    _v, challenge = pkce_pair()
    assert signed_in.get(authorize_url(Ref(url), challenge)).status_code == 400
    assert not Application.objects.filter(client_id=url).exists()


def test_a_plain_http_document_url_is_not_a_client_id(signed_in, cimd_documents):
    path = f"/clients/{uuid.uuid4().hex}.json"
    url = f"http://cimd.test{path}"
    cimd_documents.publish(path, document_for(url))
    _v, challenge = pkce_pair()
    assert signed_in.get(authorize_url(Ref(url), challenge)).status_code == 400
    assert path not in cimd_documents.hits


@pytest.mark.parametrize("grant_types", [["implicit"], ["implicit", "refresh_token"], ["client_credentials"],
                                         ["authorization_code", "refresh_token", "password"]])
def test_a_document_with_a_grant_type_the_gateway_does_not_serve_is_refused(signed_in, cimd_documents, grant_types):
    """Only authorization_code and refresh_token, as for DCR (RFC 7591 §2, §3.2.2)."""
    url, path = new_url()
    cimd_documents.publish(path, document_for(url, grant_types=grant_types))
    _v, challenge = pkce_pair()
    assert signed_in.get(authorize_url(Ref(url), challenge)).status_code == 400
    assert cimd_documents.hits[path] == 1
    assert not Application.objects.filter(client_id=url).exists()
