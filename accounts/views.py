"""The sign-in page (with single sign-on's button when configured), its answer when django-axes
refuses a sign-in (settings.AXES_LOCKOUT_CALLABLE), and single sign-on's two pages (accounts/sso.py)."""

from __future__ import annotations

import logging
import math
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .sso import ProviderUnavailable, SsoRefused, provider_endpoints, sso_callback_url, sso_enabled, sso_label

logger = logging.getLogger(__name__)


def sign_in_context() -> dict:
    """What every rendering of the sign-in page adds: the single sign-on button's label, when on."""
    return {"sso_label": sso_label()} if sso_enabled() else {}


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **sign_in_context()}


def duration_in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def sign_in_locked_out(request: HttpRequest, *_axes_arguments) -> HttpResponse:
    """The sign-in page again, saying for how long signing in is locked and keeping the username
    that was typed; 429 with Retry-After (RFC 6585 §4). Serves the admin's sign-in too: the form
    posts back to the page it came from. (axes passes the original response and the credentials,
    in an order that differs between its sync and async paths; neither is needed here.)"""
    lockout_seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "locked_out_for": duration_in_words(lockout_seconds),
        **sign_in_context(),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(lockout_seconds)
    return response


# --- Single sign-on -----------------------------------------------------------------------------


def sso_refused(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    """The page a person lands on when single sign-on does not let them in: why, and the way back
    to the sign-in page (a link, never a redirect: no loop through the provider)."""
    return render(request, "registration/sso_refused.html", {"reason": reason, **sign_in_context()}, status=status)


class SsoStartView(OIDCAuthenticationRequestView):
    """/oidc/authenticate/: off to the provider's sign-in, or back to the sign-in page with a
    message when the provider cannot be reached."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library's reads the endpoints here: ours are found in get()

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints().authorization
        except ProviderUnavailable:
            messages.error(
                request,
                f"Signing in with {sso_label()} is unavailable right now: the gateway could not reach it. "
                "Try again in a few minutes, or sign in with your password.",
            )
            login = reverse("login")
            next_url = request.GET.get("next")
            return HttpResponseRedirect(f"{login}?{urlencode({'next': next_url})}" if next_url else login)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)

    def get_extra_params(self, request):
        return {"redirect_uri": sso_callback_url()}  # PUBLIC_BASE_URL's, not the request's host


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """/oidc/callback/: the provider sends the person back here; signed in, or a page saying why not."""

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SsoRefused as refusal:
            logger.info("Single sign-on refused: %s", refusal.reason)
            return sso_refused(request, refusal.reason, status=403)
        except (ProviderUnavailable, requests.ConnectionError, requests.Timeout) as exc:
            logger.warning("Single sign-on: the provider could not be reached (%s)", type(exc).__name__)
            return sso_refused(request, f"The gateway could not reach {sso_label()} to finish signing you in. Try again in a few minutes.", status=503)
        except (requests.RequestException, ValueError, KeyError, TypeError, jwt.PyJWTError, SuspiciousOperation) as exc:
            # The provider refused the code, or answered something that does not verify; the code
            # and tokens are not logged.
            logger.warning("Single sign-on: the provider's answer was refused (%s)", type(exc).__name__)
            return sso_refused(request, f"{sso_label()}'s answer could not be verified, so you are not signed in. Start again from the sign-in page.", status=400)

    def login_failure(self):
        error = self.request.GET.get("error")
        if error:
            reason = f"{sso_label()} did not sign you in ({error[:100]}). Start again from the sign-in page if you want to."
        else:
            reason = "This sign-in link has expired or was already used. Start again from the sign-in page."
        return sso_refused(self.request, reason, status=400)
