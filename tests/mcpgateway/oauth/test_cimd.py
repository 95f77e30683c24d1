"""Client ID Metadata Documents: a client identified by an https URL; bad documents are refused."""

import socket
import threading
import time
import uuid

import pytest
from django.conf import settings
from oauth2_provider.models import Application

from tests.mcpgateway.oauth.conftest import REDIRECT_URI, authorize_url, pkce_pair

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


class ConnectionWatch:
    """Sees every connection the fetcher attempts to the addresses under test: a listener on
    loopback counts what it accepts, and connect() is patched at the socket level so an attempt
    on a private or link-local address is counted and refused before any packet leaves."""

    PRIVATE = {"10.1.2.3", "169.254.169.254"}

    def __init__(self, monkeypatch):
        self.attempts: list[tuple] = []
        self.accepted = 0
        self.listeners = []
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.bind((host, self.listeners[0].getsockname()[1] if self.listeners else 0))
            listener.listen()
            listener.settimeout(0.2)
            self.listeners.append(listener)
            threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        self.port = self.listeners[0].getsockname()[1]
        real_connect = socket.socket.connect
        watch = self

        def connect(sock, address):
            host, port = address[0], address[1]
            if host in watch.PRIVATE or (host in ("127.0.0.1", "::1") and port == watch.port):
                watch.attempts.append(address)
                if host in watch.PRIVATE:
                    raise ConnectionRefusedError("a test never sends traffic to a private address")
            return real_connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", connect)

    def _accept(self, listener):
        while listener.fileno() != -1:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self):
        for listener in self.listeners:
            listener.close()


@pytest.fixture
def connection_watch(monkeypatch):
    watch = ConnectionWatch(monkeypatch)
    yield watch
    watch.close()


@pytest.mark.parametrize("url", ["https://127.0.0.1:PORT/c.json", "https://localhost:PORT/c.json", "https://[::1]:PORT/c.json",
                                 "https://10.1.2.3/c.json", "https://169.254.169.254/latest/meta-data/c.json"])
def test_a_document_at_a_private_address_is_never_fetched(signed_in, connection_watch, url):
    """The production fetcher (DOT's SafeMetadataFetcher, behind the gateway's policy) is in force,
    and it never even connects: the address is refused before any connection is made."""
    assert settings.OAUTH_CIMD_METADATA_FETCHER == "oauth2_provider.cimd.SafeMetadataFetcher"
    # A path of its own: a failed fetch is backed off per URL in the cache, which outlives a test.
    url = url.replace("PORT", str(connection_watch.port)).replace("c.json", f"{uuid.uuid4().hex}.json")
    _v, challenge = pkce_pair()
    assert signed_in.get(authorize_url(Ref(url), challenge)).status_code == 400
    time.sleep(0.3)  # the listeners' accept loop notices a connection within 0.2 s
    assert connection_watch.attempts == [] and connection_watch.accepted == 0
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
