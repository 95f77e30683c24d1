"""The sign-in pages: sign-in (with single sign-on's button when configured), the lockout answer
when django-axes refuses a sign-in (settings.AXES_LOCKOUT_CALLABLE), single sign-on's two pages
(accounts/sso.py), sign-up by invitation or open sign-up, and Django's password change and reset
views where they need more than Django's."""

from __future__ import annotations

import logging
import math
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from mcpgateway.core.rate_limits import over_limit

from .forms import SignUpForm
from .selectors import invitation_by_token, invitation_used_by
from .services import InvitationUnusable, UsernameTaken, user_password_chosen, user_sign_up
from .services import invitation_accept as invitation_accept_service
from .sso import (
    ProviderUnavailable,
    SsoRefused,
    provider_endpoints,
    sso_callback_url,
    sso_enabled,
    sso_invitation,
    sso_invitation_forget,
    sso_invitation_remember,
    sso_label,
)

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
            return self._finish(request)
        finally:
            sso_invitation_forget(request)  # one try per press of an invitation's "Sign up with" button

    def _finish(self, request):
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

    def login_success(self):
        invitation_id = sso_invitation(self.request)
        if invitation_id is not None and invitation_used_by(invitation_id=invitation_id, user=self.user):
            # The same welcome as a password sign-up's (_signed_up).
            messages.success(self.request, f"Welcome, {self.user.get_username()}: your account is ready. Connect Spotify to start.")
        return super().login_success()

    def login_failure(self):
        error = self.request.GET.get("error")
        if error:
            reason = f"{sso_label()} did not sign you in ({error[:100]}). Start again from the sign-in page if you want to."
        else:
            reason = "This sign-in link has expired or was already used. Start again from the sign-in page."
        return sso_refused(self.request, reason, status=400)
# --- sign-up: by invitation, or open (settings.OPEN_SIGNUP) ---------------------------------------

UNUSABLE_INVITATION = {
    "unknown": (404, "This invitation link is not valid", "Check that you copied the whole link, or ask an admin for a new one."),
    "expired": (410, "This invitation has expired", "Ask the admin who invited you for a new link."),
    "used": (410, "This invitation has been used already", "Each link makes one account. If it was yours, sign in; otherwise ask an admin for a new link."),
    "revoked": (410, "This invitation was withdrawn", "An admin revoked it. Ask them for a new link if you should still join."),
}


def _unusable(request, status: str) -> HttpResponse:
    code, title, advice = UNUSABLE_INVITATION[status]
    response = render(request, "registration/signup_unavailable.html", {"title": title, "advice": advice}, status=code)
    response["Cache-Control"] = "no-store"
    return response


def _signed_up(request, user) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome, {user.get_username()}: your account is ready. Connect Spotify to start.")
    return redirect("dashboard")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token=token)
    if invitation is None or invitation.status != "open":
        return _unusable(request, invitation.status if invitation else "unknown")
    form = SignUpForm(request.POST or None, allowed_domains=invitation.domain_list)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept_service(
                token=token, username=form.cleaned_data["username"], email=form.cleaned_data["email"], password=form.cleaned_data["password1"]
            )
        except InvitationUnusable as exc:
            return _unusable(request, exc.status)
        except ValueError as exc:
            form.add_error("username" if isinstance(exc, UsernameTaken) else None, str(exc))
        else:
            return _signed_up(request, user)
    context = {"form": form, "invitation": invitation, **sign_in_context()}
    response = render(request, "registration/signup.html", context, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def invitation_sso(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation page's "Sign up with <provider>": remember the invitation in the session (its
    id: the session is server side) and start single sign-on; the callback uses it up
    (accounts.sso.sso_user_for_claims) for a person without an account."""
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")
    invitation = invitation_by_token(token=token)
    if invitation is None or invitation.status != "open":
        return _unusable(request, invitation.status if invitation else "unknown")
    sso_invitation_remember(request, invitation)
    return redirect("oidc_authentication_init")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.OPEN_SIGNUP:
        return render(request, "registration/signup_unavailable.html", {
            "title": "Sign-up is by invitation",
            "advice": "This gateway does not take open sign-ups: ask an admin of your team for an invitation link.",
        }, status=404)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and over_limit(request, group="sign-up", per_hour=settings.SIGN_UP_LIMIT_PER_HOUR):
        form.add_error(None, "Too many accounts were created from your address in the last hour; try again later.")
        return _too_many(render(request, "registration/signup.html", {"form": form}, status=429))
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(username=form.cleaned_data["username"], email=form.cleaned_data["email"], password=form.cleaned_data["password1"])
        except ValueError as exc:
            form.add_error("username" if isinstance(exc, UsernameTaken) else None, str(exc))
        else:
            return _signed_up(request, user)
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


def _too_many(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = "3600"  # the limits count per clock hour (django-ratelimit)
    return response


# --- passwords ----------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, ending the forced change (User.must_change_password) in the same save. A person
    who signs in with single sign-on has no password (accounts.sso), so nothing to change: they are
    told so instead of meeting a form that asks for their old one."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_usable_password():
            messages.info(request, "You sign in with single sign-on: this account has no password to change.")
            return redirect("dashboard")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user_password_chosen(user=form.user)
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with the link in the mail built on PUBLIC_BASE_URL (not the request's Host)."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        if over_limit(request, group="password-reset", per_hour=settings.PASSWORD_RESET_LIMIT_PER_HOUR):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, "Too many password reset requests from your address in the last hour; try again later.")
            return _too_many(self.render_to_response(self.get_context_data(form=form), status=429))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if over_limit(self.request, group="password-reset-mail", per_hour=settings.PASSWORD_RESET_LIMIT_PER_HOUR, key=lambda group, request: email):
            # The same answer as a mail sent, or the page would tell who has an account; no mail
            # goes out, so nobody's inbox can be flooded from many addresses either.
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"public_base_url": settings.PUBLIC_BASE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        user_password_chosen(user=form.user)
        return super().form_valid(form)
