"""Single sign-on through the team's OpenID Connect provider (optional; settings OIDC_*).

mozilla-django-oidc does the protocol: the authorization code flow with PKCE and a nonce, the token
request, the ID token's RS256 signature checked against the provider's JWKS, the userinfo request.
It fits one provider and a gateway that keeps its own accounts; django-allauth would bring a whole
account system (its own sign-up, email and social-account models) beside the one we have.

What is ours, here:
- the provider's endpoints, read from its discovery document when a sign-in first needs them and
  cached (`provider_endpoints`): the gateway starts, and passwords work, while the provider is down;
- the ID token's issuer and audience, which the library does not check (`SsoBackend`);
- who may come in (`sso_user_for_claims`): an existing account whose email matches the provider's
  *verified* email, or a new account when that email's domain is in OIDC_ALLOWED_EMAIL_DOMAINS or
  the sign-in started from an invitation's "Sign up with ..." button (its id kept in the session:
  `sso_invitation`; the account gets the invitation's role and uses it up). Anything else is an
  `SsoRefused` with a reason the sign-in page's refusal page shows (accounts.views.SsoCallbackView).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.backends import ModelBackend
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from mcpgateway.core.public_urls import public_url

from .services import InvitationUnusable, invitation_accept_sso

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/oidc/callback/"
# A discovery document is kept this long; a failed fetch is not kept (the next sign-in tries again).
DISCOVERY_CACHE_SECONDS = 3600


class SsoRefused(Exception):
    """The provider signed the person in, but the gateway does not let them in; `reason` says why,
    in words for them."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read (down, slow, or not an OIDC provider)."""


@dataclass(frozen=True)
class ProviderEndpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str


_discovered: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()


def sso_enabled() -> bool:
    return bool(settings.SSO_ENABLED)


def sso_label() -> str:
    return settings.OIDC_BUTTON_LABEL


def sso_callback_url() -> str:
    """The redirect URI registered at the provider: PUBLIC_BASE_URL's, whatever host a proxy passed."""
    return public_url(CALLBACK_PATH)


def _discovery_document(issuer: str) -> dict:
    now = time.monotonic()
    cached = _discovered.get(issuer)
    if cached and cached[0] > now:
        return cached[1]
    with _discovery_lock:
        url = f"{issuer}/.well-known/openid-configuration"
        try:
            response = httpx.get(url, timeout=settings.OIDC_TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("OIDC discovery at %s failed: %s", url, type(exc).__name__)
            raise ProviderUnavailable(url) from exc
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
            # OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
            logger.warning("OIDC discovery at %s names another issuer", url)
            raise ProviderUnavailable(url)
        _discovered[issuer] = (now + DISCOVERY_CACHE_SECONDS, document)
        return document


def provider_endpoints() -> ProviderEndpoints:
    """The provider's endpoints: each explicit OIDC_*_ENDPOINT setting, else its discovery document's."""
    explicit = {
        "authorization": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo": settings.OIDC_OP_USER_ENDPOINT,
        "jwks": settings.OIDC_OP_JWKS_ENDPOINT,
    }
    if not all(explicit.values()):
        document = _discovery_document(settings.OIDC_ISSUER)
        discovered = {
            "authorization": document.get("authorization_endpoint"),
            "token": document.get("token_endpoint"),
            "userinfo": document.get("userinfo_endpoint"),
            "jwks": document.get("jwks_uri"),
        }
        explicit = {name: explicit[name] or discovered[name] for name in explicit}
        if not all(explicit.values()):
            raise ProviderUnavailable(f"{settings.OIDC_ISSUER}/.well-known/openid-configuration lacks an endpoint")
    return ProviderEndpoints(**explicit)


def forget_discovery() -> None:
    _discovered.clear()


# --- Who may come in ---------------------------------------------------------------------------


def email_domain_allowed(email: str) -> bool:
    return email.rpartition("@")[2].lower() in settings.OIDC_ALLOWED_EMAIL_DOMAINS


# The invitation a person pressed "Sign up with ..." on (accounts.views.invitation_sso): its id, in
# their session (server side), until the provider sends them back to the callback.
SSO_INVITATION_SESSION_KEY = "sso_invitation"

INVITATION_REFUSALS = {
    "unknown": "The invitation you signed up with no longer exists. Ask an admin for a new link.",
    "expired": "The invitation you signed up with has expired. Ask the admin who invited you for a new link.",
    "used": "The invitation you signed up with has been used already: each link makes one account. Ask an admin for a new link.",
    "revoked": "The invitation you signed up with was withdrawn by an admin. Ask them for a new link if you should still join.",
}


def sso_invitation_remember(request, invitation) -> None:
    request.session[SSO_INVITATION_SESSION_KEY] = invitation.pk


def sso_invitation(request) -> int | None:
    """The id of the invitation this sign-in started from, if it did (the callback forgets it)."""
    value = request.session.get(SSO_INVITATION_SESSION_KEY) if request is not None else None
    return value if isinstance(value, int) else None


def sso_invitation_forget(request) -> None:
    request.session.pop(SSO_INVITATION_SESSION_KEY, None)


def _new_username(email: str) -> str:
    User = get_user_model()
    base = email[:140]
    candidate, suffix = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def sso_user_for_claims(claims: dict, *, invitation_id: int | None = None) -> AbstractBaseUser:
    """The account a person the provider signed in may use, created if the rules allow; raises
    SsoRefused (with the reason, for them) otherwise. `claims` are the ID token's and userinfo's;
    `invitation_id` the invitation the sign-in started from (sso_invitation), if any: for a person
    without an account it decides, whatever their email's domain (they get its role, or its refusal)."""
    User = get_user_model()
    email = str(claims.get("email") or "").strip()
    if not email or "@" not in email:
        raise SsoRefused(f"{sso_label()} did not share your email address, which the gateway needs to know who you are.")
    if claims.get("email_verified") not in (True, "true"):
        raise SsoRefused(
            f"{sso_label()} has not verified your email address {email}. Verify it there, then sign in again."
        )
    accounts = list(User.objects.filter(email__iexact=email)[:2])
    if len(accounts) > 1:
        raise SsoRefused(f"Several gateway accounts have the email address {email}. Ask an admin to keep only one.")
    if accounts:
        user = accounts[0]
        if not user.is_active:
            raise SsoRefused("Your gateway account is deactivated. Ask an admin if you need it back.")
        return user  # an invitation the sign-in started from stays unused
    names = {"first_name": str(claims.get("given_name") or "")[:150], "last_name": str(claims.get("family_name") or "")[:150]}
    if invitation_id is not None:
        try:
            user = invitation_accept_sso(invitation_id=invitation_id, email=email, username=_new_username(email), **names)
        except InvitationUnusable as refusal:
            raise SsoRefused(INVITATION_REFUSALS[refusal.status]) from None
        except ValueError as refusal:  # the invitation's email domains, or (a race) the username
            raise SsoRefused(f"{refusal} {sso_label()} signed you in as {email}, so no account was created.") from None
        logger.info("Account %s created at its first single sign-on, by invitation %s", user.pk, invitation_id)
        return user
    if not email_domain_allowed(email):
        raise SsoRefused(
            f"No gateway account has the email address {email}, and new accounts are open only to "
            + (
                "addresses at " + ", ".join(settings.OIDC_ALLOWED_EMAIL_DOMAINS)
                if settings.OIDC_ALLOWED_EMAIL_DOMAINS
                else "people an admin invited"
            )
            + ". Ask an admin to invite you."
        )
    user = User.objects.create_user(_new_username(email), email=email, **names)  # no password: they sign in through the provider
    logger.info("Account %s created at its first single sign-on", user.pk)
    return user


# --- The authentication backend ----------------------------------------------------------------


class SsoBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the provider's endpoints found lazily, the ID token's
    issuer and audience checked, and our rules for who may come in. Listed after django-axes and
    the password backend (settings.AUTHENTICATION_BACKENDS), so a locked-out address is refused first."""

    def __init__(self, *args, **kwargs):
        # Not the library's: it reads the endpoints here, and Django builds every backend for every
        # password sign-in too. Ours are properties, resolved when a sign-in needs them.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: provider_endpoints().token)
    OIDC_OP_USER_ENDPOINT = property(lambda self: provider_endpoints().userinfo)
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: provider_endpoints().jwks)

    def authenticate(self, request, nonce=None, code_verifier=None, **credentials):
        # Only the callback's call (a nonce, no username or password): never a password sign-in
        # that happens to carry ?code= and ?state=.
        if not sso_enabled() or request is None or nonce is None or credentials:
            return None
        return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)

    def get_token(self, payload):
        payload["redirect_uri"] = sso_callback_url()
        return super().get_token(payload)

    def get_or_create_user(self, access_token, id_token, payload):
        issuer = settings.OIDC_ISSUER
        if issuer and str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SsoRefused("The sign-in came from another provider than the one the gateway trusts. Start again.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SsoRefused("The provider's answer was meant for another application. Start again.")
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core §5.3.2: userinfo must describe the ID token's subject.
            raise SsoRefused("The provider described someone else than who signed in. Start again.")
        return sso_user_for_claims({**payload, **userinfo}, invitation_id=sso_invitation(self.request))

    def get_user(self, user_id):
        # The library's skips is_active: a deactivated person's session must end.
        return ModelBackend.get_user(self, user_id)
