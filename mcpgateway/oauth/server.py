"""oauthlib's Server with the gateway's own checks on the authorization code and refresh grants.

oauthlib hands `post_auth`/`pre_token` keyword arguments to every grant type, and the grants that
have no authorization step refuse them, so the checks are attached to the two grants here.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.conf import settings
from oauthlib.oauth2 import Server
from oauthlib.oauth2.rfc6749 import errors


def _resources(request, *, body: bool) -> list[str]:
    pairs = (getattr(request, "decoded_body", None) or []) if body else parse_qsl(request.uri_query or "", keep_blank_values=True)
    return [value for key, value in pairs if key == "resource"]


def _invalid_target(request, description: str) -> errors.CustomOAuth2Error:
    return errors.CustomOAuth2Error(error="invalid_target", description=description, request=request)


def check_authorization_request(request) -> dict:
    """After the client and redirect URI are known good: what the gateway requires on top of DOT.

    - `state` (CSRF protection of the client's redirect endpoint, RFC 9700 §4.7);
    - PKCE with S256 only (RFC 9700 §2.1.1; DOT rejects `plain` only when the code is issued);
    - exactly our `/mcp` as `resource` (RFC 8707): DOT accepts any absolute URI.
    """
    if not request.state:
        raise errors.InvalidRequestError(description="The state parameter is required.", request=request)
    if request.code_challenge_method != "S256":
        raise errors.InvalidRequestError(description='code_challenge_method must be "S256".', request=request)
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


class GatewayOAuth2Server(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant.custom_validators.post_auth.append(check_authorization_request)
        self.auth_grant.custom_validators.pre_token.append(check_token_request)
        self.refresh_grant.custom_validators.pre_token.append(check_token_request)
