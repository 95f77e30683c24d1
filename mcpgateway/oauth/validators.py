"""The gateway's extension of django-oauth-toolkit's validator.

What it adds (docs/oauth.md has the reasons):
- plain `http` redirect URIs only on loopback hosts (RFC 8252 §7.3; any port, DOT's matching);
- consent is recorded as an OAuthAuthorization (with its McpSession row and the redirect URI) when
  a code is issued;
- a reused authorization code revokes the tokens it gave (RFC 6749 §4.1.2), and concurrent
  exchanges of one code give tokens once: the grant row is read once per exchange and claimed
  (locked, then deleted) in the transaction that saves the tokens;
- a refresh grace window of our own: DOT's grace period replays the stored access token, which
  hashed storage does not keep (HTTP 500). Inside our window a refresh with a just-rotated token
  mints a fresh sibling pair in the same token family instead; after it, DOT's reuse protection
  revokes the whole family.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from mcpgateway.core.revocation import bump_revocation_epoch_on_commit

from . import services
from .selectors import oauth_authorization_active

logger = logging.getLogger(__name__)

AccessToken = get_access_token_model()
Grant = get_grant_model()
RefreshToken = get_refresh_token_model()

USED_CODE_CACHE_PREFIX = "mcpgateway:oauth:used-code:"
# How long a used code is remembered, so a replay can still revoke what it gave.
USED_CODE_MEMORY_SECONDS = 24 * 3600


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class _CodeAlreadyExchanged(Exception):
    """A concurrent exchange of the same code claimed it first."""


def _grant_being_exchanged(request):
    grant = getattr(request, "gateway_grant", None)
    if grant is None:  # validate_code has not accepted this code
        raise errors.InvalidGrantError(request=request)
    return grant


def is_loopback_uri(uri: str) -> bool:
    from .selectors import LOOPBACK_HOSTS

    return (urlsplit(uri).hostname or "").lower() in LOOPBACK_HOSTS


class GatewayOAuth2Validator(OAuth2Validator):
    # --- authorization ---------------------------------------------------------------------

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        if urlsplit(redirect_uri).scheme == "http" and not is_loopback_uri(redirect_uri):
            return False
        return super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs)

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        # Recorded first: a new authorization revokes what an earlier one left, codes included.
        services.oauth_authorization_record(
            user=request.user, application=request.client, scopes=set(request.scopes), redirect_uri=request.redirect_uri
        )
        super().save_authorization_code(client_id, code, request, *args, **kwargs)

    # --- the code grant ----------------------------------------------------------------------

    # DOT reads the grant row again for the PKCE challenge, its method and the redirect URI; a
    # concurrent exchange deleting it in between answered 500 (Grant.DoesNotExist). The one row
    # validate_code read serves them all.

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request=None, *args, **kwargs):
        if _grant_being_exchanged(request).redirect_uri_allowed(redirect_uri):
            return True
        # RFC 6749 §5.2: a redirect_uri other than the authorization request's is invalid_grant
        # (oauthlib, left to itself, answers invalid_request).
        raise errors.InvalidGrantError(description="redirect_uri differs from the authorization request's", request=request)

    def get_code_challenge(self, code, request):
        return _grant_being_exchanged(request).code_challenge or None

    def get_code_challenge_method(self, code, request):
        return _grant_being_exchanged(request).code_challenge_method or None

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        request.gateway_grant = Grant.objects.filter(code=code, application=client).first()
        valid = request.gateway_grant is not None and super().validate_code(client_id, code, client, request, *args, **kwargs)
        if not valid:
            self._revoke_tokens_of_reused_code(code, client_id)
        return valid

    def _revoke_tokens_of_reused_code(self, code, client_id):
        family = cache.get(USED_CODE_CACHE_PREFIX + _checksum(code))
        if family:
            # RFC 6749 §4.1.2: a code used twice revokes the tokens it was exchanged for.
            logger.warning("Authorization code reused for client %s: revoking its tokens", client_id)
            RefreshToken.revoke_family(family)
            cache.delete(USED_CODE_CACHE_PREFIX + _checksum(code))
            bump_revocation_epoch_on_commit()

    def save_bearer_token(self, token, request, *args, **kwargs):
        try:
            return super().save_bearer_token(token, request, *args, **kwargs)
        except _CodeAlreadyExchanged:
            # Another exchange of this code won the claim; its tokens are revoked as for any reuse
            # (outside the rolled-back transaction of this one).
            self._revoke_tokens_of_reused_code(request.code, request.client_id)
            raise errors.InvalidGrantError(request=request) from None

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        if not getattr(request, "gateway_code_claimed", False):
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)

    # --- refresh -----------------------------------------------------------------------------

    def _grace_applies(self, rt) -> bool:
        """A rotated (not revoked) refresh token, rotated within the window, of a live family."""
        window = timedelta(seconds=settings.OAUTH_REFRESH_GRACE_SECONDS)
        if rt.revoked is None or rt.revoked <= timezone.now() - window or not rt.token_family:
            return False
        rotated = AccessToken.objects.filter(source_refresh_token=rt).exists()
        live_family = RefreshToken.objects.filter(token_family=rt.token_family, revoked__isnull=True).exists()
        return rotated and live_family

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """DOT's checks, made on the one row read here. Calling DOT's method would read the row a
        second time, and a concurrent refresh committed in between would look like reuse there
        and revoke the whole family (seen with ten simultaneous refreshes on PostgreSQL)."""
        rt = (
            RefreshToken.objects.filter(token_checksum=_checksum(refresh_token))
            .select_related("access_token", "user")
            .order_by(F("revoked").desc(nulls_first=True))
            .first()
        )
        if rt is None:
            return False
        if rt.revoked is not None:
            if not self._grace_applies(rt):
                # Replayed after the window, or deliberately revoked: DOT's reuse protection.
                if oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION and rt.token_family:
                    RefreshToken.revoke_family(rt.token_family)
                    bump_revocation_epoch_on_commit()  # cached access tokens, every worker
                return False
        else:
            if rt.access_token is None:
                return False  # an orphan: its access token was revoked out of band
            expire_delta = refresh_token_expire_timedelta()
            if expire_delta and rt.access_token.expires + expire_delta <= timezone.now():
                return False
        if not rt.user.is_active or oauth_authorization_active(user_id=rt.user_id, application_id=rt.application_id) is None:
            # The person was deactivated or the authorization ended: the refresh token went with
            # it (mcpgateway.core.credentials), this only guards writes that bypassed that service.
            return False
        request.user = rt.user
        request.refresh_token = refresh_token
        request.refresh_token_instance = rt
        return rt.application == client

    def _save_bearer_token(self, token, request, *args, **kwargs):
        if request.grant_type == "authorization_code":
            # Claim the code in the transaction that saves its tokens: the row lock makes concurrent
            # exchanges wait (PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE) and then
            # find it gone. oauthlib deletes it only after this transaction, too late.
            grant = _grant_being_exchanged(request)
            if not Grant.objects.select_for_update().filter(pk=grant.pk).values_list("pk", flat=True):
                raise _CodeAlreadyExchanged
            result = self._save_code_exchange_tokens(token, request, *args, **kwargs)
            Grant.objects.filter(pk=grant.pk).delete()
            request.gateway_code_claimed = True
            return result
        rt = getattr(request, "refresh_token_instance", None)
        if request.grant_type == "refresh_token" and isinstance(rt, RefreshToken):
            # Runs inside save_bearer_token's transaction: the lock serialises refreshes of one
            # token (PostgreSQL; SQLite serialises every writer with BEGIN IMMEDIATE).
            current = RefreshToken.objects.select_for_update().get(pk=rt.pk)
            if current.revoked is not None:
                return self._save_sibling_pair(token, request, current)
        result = super()._save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "refresh_token":
            # Rotation deleted the previous access token; workers may hold it verified. Refreshes
            # are hourly per client, so moving the epoch for them costs little.
            bump_revocation_epoch_on_commit()
        return result

    def _save_code_exchange_tokens(self, token, request, *args, **kwargs):
        result = super()._save_bearer_token(token, request, *args, **kwargs)
        if token.get("refresh_token"):
            family = (
                RefreshToken.objects.filter(token_checksum=_checksum(token["refresh_token"]), revoked__isnull=True)
                .values_list("token_family", flat=True)
                .first()
            )
            if family:
                cache.set(USED_CODE_CACHE_PREFIX + _checksum(request.code), str(family), USED_CODE_MEMORY_SECONDS)
        return result

    def _save_sibling_pair(self, token, request, rotated):
        """Inside the grace window: a new access and refresh token beside the ones the first
        refresh got, in the same family (so a later replay still revokes them all)."""
        if not self._grace_applies(rotated):
            raise errors.InvalidGrantError(description="The refresh token is no longer valid.", request=request)
        request.refresh_token_instance = rotated
        self._check_and_set_request_resource(request)
        expires = timezone.now() + timedelta(seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS))
        access_token = self._create_access_token(expires, request, token)
        self._create_refresh_token(request, token["refresh_token"], access_token, rotated)
        logger.info("Refresh inside the grace window for client %s: sibling tokens issued", request.client.client_id)
