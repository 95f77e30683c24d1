"""The sign-in page's answer when django-axes refuses a sign-in (settings.AXES_LOCKOUT_CALLABLE)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(lockout_seconds)
    return response
