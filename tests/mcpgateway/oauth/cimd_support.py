"""Client ID Metadata Documents for tests: a local document server and the fetcher that reaches it.

The gateway's production fetcher (DOT's SafeMetadataFetcher) refuses loopback addresses and plain
http, rightly. Tests point `OAUTH_CIMD_METADATA_FETCHER` at `LoopbackMetadataFetcher`, which keeps the
URL validation, the time limit and the size limit (DOT's own `_read_document`) but fetches
`https://<any host>/<path>` from the document server on 127.0.0.1:$CIMD_TEST_SERVER_PORT.
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import urllib3
from oauth2_provider import cimd
from oauth2_provider.settings import oauth2_settings

PORT_VARIABLE = "CIMD_TEST_SERVER_PORT"


class LoopbackMetadataFetcher(cimd.SafeMetadataFetcher):
    def fetch(self, client_id):
        parsed = cimd._validate_client_id_url(client_id)
        port = int(os.environ[PORT_VARIABLE])
        timeout = oauth2_settings.CIMD_FETCH_TIMEOUT_SECONDS
        pool = urllib3.HTTPConnectionPool("127.0.0.1", port, retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout, total=timeout))
        try:
            response = pool.urlopen("GET", parsed.path, redirect=False, preload_content=False)
            try:
                return self._read_document(response)
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            raise cimd.CIMDError(f"could not fetch client_id document: {exc}") from exc
        finally:
            pool.close()


class DocumentServer:
    """Serves JSON documents by path; a document may be slow (`delay`) or padded to any size."""

    def __init__(self):
        self.documents: dict[str, tuple[bytes, float]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                body, delay = server.documents.get(self.path, (None, 0.0))
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def publish(self, path: str, document: dict, *, delay: float = 0.0, pad_to: int = 0) -> None:
        body = json.dumps(document).encode()
        if pad_to > len(body):
            document = {**document, "padding": "x" * (pad_to - len(body))}
            body = json.dumps(document).encode()
        self.documents[path] = (body, delay)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
