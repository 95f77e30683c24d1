"""django-oauth-toolkit's views, extended for the gateway: the consent page (Spotify first when
needed, remembered consent, what the client will do in words), open but rate-limited client
registration. Token revocation (RFC 7009) is DOT's view: the model signals move the revocation
epoch (mcpgateway.signals)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView, TokenView
from oauth2_provider.views.dynamic_client_registration import (
    DynamicClientRegistrationManagementView,
    DynamicClientRegistrationView,
)

from mcpgateway.client_address import client_address
from mcpgateway.models import SpotifyGrant
from mcpgateway.scopes import GATEWAY_SCOPES
from mcpgateway.spotify.selectors import grant_for_user
from mcpgateway.spotify.services import connect_start

from .client_metadata import client_metadata_problem
from .selectors import OAUTH_RESUME_SESSION_KEY, oauth_consent_covers, redirect_uris_all_loopback

logger = logging.getLogger(__name__)


def _never_framed(response):
    # X-Frame-Options comes from Django's middleware; CSP is the modern equivalent (clickjacking).
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    response["Cache-Control"] = "no-store"
    return response


class GatewayAuthorizationView(AuthorizationView):
    template_name = "oauth2_provider/authorize.html"

    def redirect(self, redirect_to, application):
        """Every redirect back to the client (code, remembered consent, and every error:
        access_denied, invalid_scope, invalid_request, invalid_target, login_required) carries
        `iss` (RFC 9207 §2). DOT adds it only to the responses oauthlib builds on success."""
        return super().redirect(_add_iss_to_redirect(redirect_to, settings.OAUTH_ISSUER), application)

    def get(self, request, *args, **kwargs):
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return _never_framed(self.error_response(error, application=None))

        grant = grant_for_user(user=request.user)
        if grant is None or grant.status != SpotifyGrant.Status.ACTIVE:
            # The client is useless without Spotify: connect it first, then come back here.
            request.session[OAUTH_RESUME_SESSION_KEY] = request.get_full_path()
            return redirect(connect_start(user=request.user, session=request.session, reconnect=grant is not None))

        application = get_application_model().objects.get(client_id=credentials["client_id"])
        if oauth_consent_covers(
            user_id=request.user.pk, application=application, scopes=set(scopes), redirect_uri=credentials["redirect_uri"]
        ):
            credentials["resource"] = request.GET.getlist("resource")
            try:
                uri, _headers, _body, _status = self.create_authorization_response(
                    request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
                )
            except OAuthToolkitError as error:
                return self.error_response(error, application)
            return self.redirect(uri, application)
        return _never_framed(super().get(request, *args, **kwargs))

    def post(self, request, *args, **kwargs):
        return _never_framed(super().post(request, *args, **kwargs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = kwargs.get("application")
        redirect_uri = kwargs.get("redirect_uri") or ""
        context.update(
            redirect_host=urlsplit(redirect_uri).netloc,
            only_loopback=bool(application) and redirect_uris_all_loopback(application.redirect_uris),
            scope_descriptions=[(scope, GATEWAY_SCOPES.get(scope, scope)) for scope in kwargs.get("scopes", [])],
            client_id_is_url=str(kwargs.get("client_id", "")).startswith("https://"),
        )
        return context


def _oauth_error(error: str, description: str, *, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _refused_client_metadata(request) -> JsonResponse | None:
    """400 invalid_client_metadata (RFC 7591 §3.2.2) for metadata the gateway does not serve.
    A body that is not a JSON object is left to DOT, which refuses it with its own description."""
    try:
        metadata = json.loads(request.body)
    except ValueError:
        return None
    problem = client_metadata_problem(metadata) if isinstance(metadata, dict) else None
    return _oauth_error("invalid_client_metadata", problem) if problem else None


def _with_public_registration_client_uri(response: HttpResponse) -> HttpResponse:
    """DOT builds registration_client_uri from the request's Host and X-Forwarded-* headers, which
    a client controls; every absolute URL the gateway emits comes from PUBLIC_BASE_URL instead
    (as the metadata's, through OIDC_ISS_ENDPOINT)."""
    if response.status_code not in (200, 201):
        return response
    document = json.loads(response.content)
    path = reverse("oauth2_provider:dcr-register-management", kwargs={"client_id": document["client_id"]})
    document["registration_client_uri"] = settings.PUBLIC_BASE_URL + path
    response.content = json.dumps(document)
    return response


class GatewayTokenView(TokenView):
    """Only the grants the metadata advertises (RFC 8414 §2): a client that registered another one
    before registration refused it gets `unsupported_grant_type` (RFC 6749 §5.2), and so does the
    device-code grant, which DOT's view would otherwise route to its own handler."""

    def post(self, request, *args, **kwargs):
        grant_type = request.POST.get("grant_type")
        if grant_type is not None and grant_type not in oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED:
            return _oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
        return super().post(request, *args, **kwargs)


class GatewayRegistrationView(DynamicClientRegistrationView):
    """Open Dynamic Client Registration (RFC 7591), limited per client address, for the grants
    the gateway serves."""

    def post(self, request, *args, **kwargs):
        limit = settings.OAUTH_DCR_RATE_LIMIT_PER_HOUR
        key = f"mcpgateway:oauth:dcr:{client_address(request)}"
        cache.add(key, 0, 3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, 3600)
            count = 1
        if count > limit:
            response = JsonResponse(
                {"error": "too_many_requests", "error_description": "Too many client registrations; try again later."},
                status=429,
            )
            response["Retry-After"] = "3600"
            return response
        return _refused_client_metadata(request) or _with_public_registration_client_uri(super().post(request, *args, **kwargs))


class GatewayRegistrationManagementView(DynamicClientRegistrationManagementView):
    """RFC 7592: an update may not switch a client to a grant the gateway does not serve; its
    registration_client_uri is the public one."""

    def get(self, request, client_id, *args, **kwargs):
        return _with_public_registration_client_uri(super().get(request, client_id, *args, **kwargs))

    def put(self, request, client_id, *args, **kwargs):
        authenticated = self._authenticate_registration_request(request, client_id)
        if isinstance(authenticated, HttpResponse):
            return authenticated
        refused = _refused_client_metadata(request)
        return refused or _with_public_registration_client_uri(super().put(request, client_id, *args, **kwargs))

