"""django-oauth-toolkit's views, extended for the gateway: the consent page (Spotify first when
needed, remembered consent, what the client will do in words), open but rate-limited client
registration. Token revocation (RFC 7009) is DOT's view: the model signals move the revocation
epoch (mcpgateway.core.signals).

Every endpoint first refuses parameters that are not text the gateway can store or look up
(`WellFormedParametersMixin`), so django-oauth-toolkit never queries the database with them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.forms import AllowForm
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView
from oauth2_provider.views.dynamic_client_registration import (
    DynamicClientRegistrationManagementView,
    DynamicClientRegistrationView,
)
from oauthlib.oauth2.rfc6749 import errors

from mcpgateway.core.rate_limits import over_limit
from mcpgateway.core.scopes import GATEWAY_SCOPE_NAMES, MCP_SCOPES
from mcpgateway.core.storable_text import text_problem
from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.selectors import grant_for_user
from mcpgateway.spotify.services import ConnectError, connect_start

from .client_metadata import client_metadata_problem
from .selectors import OAUTH_RESUME_SESSION_KEY, oauth_consent_covers, redirect_uris_all_loopback

logger = logging.getLogger(__name__)


def _never_framed(response):
    # X-Frame-Options comes from Django's middleware; CSP is the modern equivalent (clickjacking).
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    response["Cache-Control"] = "no-store"
    return response


# --- parameters the gateway can look up ---------------------------------------------------------

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _parameters(encoded: str) -> list[tuple[str, str]]:
    # errors="strict": a percent-encoded byte sequence that is not UTF-8 raises UnicodeDecodeError
    # (Django's QueryDict would silently turn it into U+FFFD).
    return parse_qsl(encoded, keep_blank_values=True, encoding="utf-8", errors="strict")


def _basic_credentials(request: HttpRequest) -> list[tuple[str, str]]:
    """client_id and client_secret of HTTP Basic, decoded as DOT decodes them (RFC 6749 §2.3.1:
    form-encoded, then base64). What DOT cannot decode it refuses itself."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Basic":
        return []
    try:
        decoded = base64.b64decode(encoded).decode("utf-8")
    except (binascii.Error, ValueError):
        return []
    client_id, _, client_secret = decoded.partition(":")
    return [("client_id", unquote_plus(client_id, errors="strict")), ("client_secret", unquote_plus(client_secret, errors="strict"))]


def malformed_parameter(request: HttpRequest) -> str | None:
    """Why a parameter of this OAuth request (path, query, form body, Basic credentials) is not
    text the gateway can store or look up, in words for `error_description`; None when all are."""
    try:
        parameters = [("path", request.path), *_parameters(request.META.get("QUERY_STRING", ""))]
        if request.content_type == "application/x-www-form-urlencoded":
            parameters += _parameters(request.body.decode("utf-8"))
        elif request.method == "POST" and request.content_type == "multipart/form-data":
            parameters += list(request.POST.items())
        parameters += _basic_credentials(request)
    except UnicodeDecodeError:
        return "Parameters must be UTF-8 text."
    for name, value in parameters:
        problem = text_problem(name) or text_problem(value)
        if problem:
            named = f"The parameter {name}" if _PLAIN_NAME.fullmatch(name) else "A parameter"
            return f"{named} {problem}."
    return None


class WellFormedParametersMixin:
    """Every OAuth endpoint: a parameter that is not storable text is invalid_request (RFC 6749
    §5.2, "malformed"), answered before django-oauth-toolkit sees the request."""

    def dispatch(self, request, *args, **kwargs):
        problem = malformed_parameter(request)
        if problem is not None:
            return self.malformed_request(problem)
        return super().dispatch(request, *args, **kwargs)

    def malformed_request(self, description: str):
        return JsonResponse({"error": "invalid_request", "error_description": description}, status=400)


# --- the consent form ---------------------------------------------------------------------------

_CONSENT_SIGNER = signing.Signer(salt="mcpgateway.oauth.consent")


def _requested_signature(client_id: str, scope: str) -> str:
    return _CONSENT_SIGNER.signature(f"{client_id} {scope}")


class ConsentForm(AllowForm):
    """DOT's form, with the scopes the person approves: one checkbox per scope the client asked
    for, every one ticked to begin with (docs/oauth.md, "Consent"). What is ticked is what the client
    gets: `cleaned_data["scope"]` becomes the approved scopes, which DOT hands to oauthlib.

    The requested scopes travel in DOT's hidden `scope` field, signed (`requested`) with the client
    id, so a POST cannot widen what the client asked for; a scope approved that was not asked for
    (or that the gateway does not have) makes the POST forged: `forged` says why, nothing is issued.
    """

    NOTHING_APPROVED = "Tick at least one permission to allow the client, or press Deny."

    approved_scope = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    requested = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.forged: str | None = None
        scope = self.data.get("scope", "") if self.is_bound else self.initial.get("scope", "")
        self.fields["approved_scope"].choices = [(s, s) for s in scope.split() if s in MCP_SCOPES]

    def clean(self):
        cleaned = super().clean()
        requested = self.data.get("scope", "").split()
        client_id = self.data.get("client_id", "")
        approved = self.data.getlist("approved_scope")
        if not _signature_matches(self.data.get("requested", ""), client_id, " ".join(requested)):
            self.forged = "The consent form was changed: the scopes it names are not the ones the client asked for."
        elif unknown := sorted(set(requested) - set(MCP_SCOPES)):
            self.forged = f"Unknown scope {', '.join(unknown)}."
        elif extra := sorted(set(approved) - set(requested)):
            self.forged = f"The scope {', '.join(extra)} was not asked for by this client, so it cannot be approved."
        if self.forged:
            raise forms.ValidationError(self.forged)
        if cleaned.get("allow") and not approved:
            raise forms.ValidationError(self.NOTHING_APPROVED)
        # Approved, in the order asked (Deny sends whatever: oauthlib answers access_denied).
        cleaned["scope"] = " ".join(s for s in requested if s in approved) or cleaned.get("scope", "")
        return cleaned


def _signature_matches(signature: str, client_id: str, scope: str) -> bool:
    return hmac.compare_digest(signature, _requested_signature(client_id, scope))


class GatewayAuthorizationView(WellFormedParametersMixin, AuthorizationView):
    template_name = "oauth2_provider/authorize.html"
    form_class = ConsentForm

    def get_initial(self):
        initial = super().get_initial()
        initial["requested"] = _requested_signature(initial.get("client_id") or "", initial["scope"])
        initial["approved_scope"] = [s for s in initial["scope"].split() if s in MCP_SCOPES]
        return initial

    def form_invalid(self, form):
        """Nothing ticked: the page again, saying so. A forged POST: 400, nothing issued."""
        application = get_application_model().objects.filter(client_id=form.data.get("client_id", "")).first()
        fields = sorted(name for name in form.errors if name != NON_FIELD_ERRORS)
        if form.forged or application is None or fields:
            description = form.forged or ("Unknown client." if application is None else f"The form lacks {', '.join(fields)}.")
            error = {"error": "invalid_request", "description": description}
            return _never_framed(self.render_to_response({"error": error}, status=400))
        context = self.get_context_data(
            form=form, application=application, client_id=application.client_id,
            redirect_uri=form.data.get("redirect_uri", ""), scopes=form.data.get("scope", "").split(),
        )
        return _never_framed(self.render_to_response(context))

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
            try:
                spotify_url = connect_start(user=request.user, session=request.session)
            except ConnectError as exc:  # the Spotify app is full: the dashboard says why and whom to ask
                messages.error(request, str(exc))
                return redirect("dashboard")
            request.session[OAUTH_RESUME_SESSION_KEY] = request.get_full_path()
            return redirect(spotify_url)

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

    def malformed_request(self, description: str):
        # Not redirected: the redirect URI itself may be the malformed parameter (RFC 6749 §4.1.2.1).
        error = FatalClientError(error=errors.InvalidRequestFatalError(description=description))
        return _never_framed(self.error_response(error, application=None))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = kwargs.get("application")
        redirect_uri = kwargs.get("redirect_uri") or ""
        context.update(
            redirect_host=urlsplit(redirect_uri).netloc,
            only_loopback=bool(application) and redirect_uris_all_loopback(application.redirect_uris),
            scope_choices=self._scope_choices(kwargs.get("form") or context.get("form"), kwargs.get("scopes", [])),
            client_id_is_url=str(kwargs.get("client_id", "")).startswith("https://"),
        )
        return context

    @staticmethod
    def _scope_choices(form, scopes) -> list[dict]:
        """One checkbox per requested scope: its plain-language name, what it allows, ticked or not."""
        if form is not None and form.is_bound:
            ticked = set(form.data.getlist("approved_scope"))
        else:
            ticked = set(scopes)
        return [
            {"scope": scope, "name": GATEWAY_SCOPE_NAMES[scope], "description": MCP_SCOPES[scope], "ticked": scope in ticked}
            for scope in scopes
            if scope in MCP_SCOPES
        ]


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


# DOT exempts these API endpoints from CSRF (and from a login requirement) on its own `dispatch`;
# the mixin's `dispatch` comes first, so the exemptions are declared again here.
api_endpoint = method_decorator([csrf_exempt, login_not_required], name="dispatch")


@api_endpoint
class GatewayTokenView(WellFormedParametersMixin, TokenView):
    """Only the grants the metadata advertises (RFC 8414 §2): a client that registered another one
    before registration refused it gets `unsupported_grant_type` (RFC 6749 §5.2), and so does the
    device-code grant, which DOT's view would otherwise route to its own handler."""

    def post(self, request, *args, **kwargs):
        grant_type = request.POST.get("grant_type")
        if grant_type is not None and grant_type not in oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED:
            return _oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
        try:
            return super().post(request, *args, **kwargs)
        except get_access_token_model().DoesNotExist:
            # DOT reads the token it just issued back by checksum; a concurrent exchange of the same
            # code may have revoked it in between (reuse revokes the code's tokens, RFC 6749 §4.1.2).
            return _oauth_error("invalid_grant", "The authorization code was used more than once; the tokens it gave are revoked.")


# RFC 7591 §2 metadata is flat: strings, arrays of strings, at most a JWK Set (RFC 7517) inside.
MAX_METADATA_DEPTH = 8


def metadata_problem(body: bytes) -> str | None:
    """Why a registration body (RFC 7591 §3.1) is metadata the gateway cannot take, beyond what DOT
    checks itself: nested deeper than MAX_METADATA_DEPTH, or text no database stores. None when it
    is fine, or when it is not JSON at all (DOT answers that)."""
    try:
        metadata = json.loads(body)
    except RecursionError:
        # The C parser gives up long before the interpreter's stack does; DOT would let it escape.
        return f"The metadata is nested more than {MAX_METADATA_DEPTH} levels deep."
    except ValueError:
        return None
    pending = [(metadata, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_METADATA_DEPTH:
            return f"The metadata is nested more than {MAX_METADATA_DEPTH} levels deep."
        if isinstance(value, dict):
            pending += [(key, depth) for key in value] + [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            pending += [(item, depth + 1) for item in value]
        elif isinstance(value, str) and (problem := text_problem(value)):
            return f"A metadata value {problem}."
    return None


class RegistrationMetadataMixin(WellFormedParametersMixin):
    """Client metadata (register: POST, update: PUT, RFC 7592 §2.2) is checked before DOT parses it."""

    def dispatch(self, request, *args, **kwargs):
        if request.method in ("POST", "PUT"):
            problem = metadata_problem(request.body)
            if problem is not None:
                return JsonResponse({"error": "invalid_client_metadata", "error_description": problem}, status=400)
        return super().dispatch(request, *args, **kwargs)


@api_endpoint
class GatewayRegistrationView(RegistrationMetadataMixin, DynamicClientRegistrationView):
    """Open Dynamic Client Registration (RFC 7591), limited per client address, for the grants
    the gateway serves."""

    def post(self, request, *args, **kwargs):
        if over_limit(request, group="oauth-registration", per_hour=settings.OAUTH_DCR_RATE_LIMIT_PER_HOUR):
            response = JsonResponse(
                {"error": "too_many_requests", "error_description": "Too many client registrations; try again later."},
                status=429,
            )
            response["Retry-After"] = "3600"
            return response
        return _refused_client_metadata(request) or _with_public_registration_client_uri(super().post(request, *args, **kwargs))


@api_endpoint
class GatewayRegistrationManagementView(RegistrationMetadataMixin, DynamicClientRegistrationManagementView):
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


@api_endpoint
class GatewayRevokeTokenView(WellFormedParametersMixin, RevokeTokenView):
    """RFC 7009, with well-formed parameters only; the model signals move the revocation epoch."""
