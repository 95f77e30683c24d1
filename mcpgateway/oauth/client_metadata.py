"""What the gateway accepts in client metadata, from Dynamic Client Registration (RFC 7591) and
Client ID Metadata Documents alike: only the grants and response types its metadata advertises
(RFC 8414 §2). DOT alone would register client_credentials, password, implicit or device-code
clients, and an anonymous client_credentials client would get tokens carrying every scope."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from oauth2_provider import cimd
from oauth2_provider.settings import oauth2_settings


def client_metadata_problem(metadata: dict) -> str | None:
    """Why these client metadata are refused (RFC 7591 §3.2.2 `invalid_client_metadata`), or None.

    Values of the wrong type are left to DOT, which refuses them with its own description."""
    grant_types = metadata.get("grant_types", ["authorization_code"])
    if isinstance(grant_types, list) and all(isinstance(g, str) for g in grant_types):
        unsupported = [g for g in grant_types if g not in oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED]
        if unsupported:
            supported = ", ".join(oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED)
            return f"grant_types {unsupported} are not supported; use {supported}."
    response_types = metadata.get("response_types", ["code"])
    if isinstance(response_types, list) and all(isinstance(r, str) for r in response_types):
        unsupported = [r for r in response_types if r not in oauth2_settings.OAUTH2_RESPONSE_TYPES_SUPPORTED]
        if unsupported:
            return f"response_types {unsupported} are not supported; use code."
    return None


class GatewayMetadataFetcher:
    """DOT's CIMD_METADATA_FETCHER: fetches the document with the fetcher named by
    OAUTH_CIMD_METADATA_FETCHER (DOT's SSRF-hardened SafeMetadataFetcher unless a test says
    otherwise), then refuses metadata the gateway does not serve before DOT stores a client."""

    def fetch(self, client_id):
        metadata, max_age = import_string(settings.OAUTH_CIMD_METADATA_FETCHER)().fetch(client_id)
        problem = client_metadata_problem(metadata)
        if problem:
            raise cimd.CIMDError(problem)
        return metadata, max_age
