"""oauthlib's Server with the gateway's own checks on the authorization code and refresh grants.

oauthlib hands `post_auth`/`pre_token` keyword arguments to every grant type, and the grants that
have no authorization step refuse them, so the checks are attached to the two grants here.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from django.conf import settings
from oauthlib.oauth2 import Server
from oauthlib.oauth2.rfc6749 import errors


# RFC 7636 §4.1: 43-128 unreserved characters. §4.2: BASE64URL(SHA256(verifier)), unpadded, is 43.
CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
S256_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def _resources(request, *, body: bool) -> list[str]:
    pairs = (getattr(request, "decoded_body", None) or []) if body else parse_qsl(request.uri_query or "", keep_blank_values=True)
    return [value for key, value in pairs if key == "resource"]


def _invalid_target(request, description: str) -> errors.CustomOAuth2Error:
    return errors.CustomOAuth2Error(error="invalid_target", description=description, request=request)


def check_authorization_request(request) -> dict:
    """After the client and redirect URI are known good: what the gateway requires on top of DOT.

    - `state` (CSRF protection of the client's redirect endpoint, RFC 9700 §4.7);
    - PKCE with S256 only (RFC 9700 §2.1.1; DOT rejects `plain` only when the code is issued), and
      a challenge of the shape S256 gives (RFC 7636 §4.2);
    - exactly our `/mcp` as `resource` (RFC 8707): DOT accepts any absolute URI.
    """
    if not request.state:
        raise errors.InvalidRequestError(description="The state parameter is required.", request=request)
    if request.code_challenge_method != "S256":
        raise errors.InvalidRequestError(description='code_challenge_method must be "S256".', request=request)
    if not S256_CODE_CHALLENGE.fullmatch(request.code_challenge or ""):
        raise errors.InvalidRequestError(description="code_challenge must be 43 base64url characters (RFC 7636 §4.2).", request=request)
    # On the consent POST, DOT passes the resources of the form as a list in the credentials.
    resources = request.resource if isinstance(request.resource, list) else _resources(request, body=False)
    if resources != [settings.OAUTH_RESOURCE]:
        raise _invalid_target(request, f"resource must be {settings.OAUTH_RESOURCE}.")
    return {}


def check_token_request(request) -> dict:
    """A token request may name only our resource (or none: the grant's or token's is kept)."""
    resources = _resources(request, body=True)
    if any(resource != settings.OAUTH_RESOURCE for resource in resources):
        raise _invalid_target(request, f"resource must be {settings.OAUTH_RESOURCE}.")
    return {}


def check_code_verifier(request) -> dict:
    """RFC 7636 §4.1: a verifier of another shape is refused even when its S256 matches (oauthlib
    compares digests only); §4.6: a failed verification is invalid_grant."""
    if request.code_verifier is not None and not CODE_VERIFIER.fullmatch(request.code_verifier):
        raise errors.InvalidGrantError(
            description="code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).", request=request
        )
    return {}


class GatewayOAuth2Server(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant.custom_validators.post_auth.append(check_authorization_request)
        self.auth_grant.custom_validators.pre_token.append(check_token_request)
        self.auth_grant.custom_validators.pre_token.append(check_code_verifier)
        self.refresh_grant.custom_validators.pre_token.append(check_token_request)
