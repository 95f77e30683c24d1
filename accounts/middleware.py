"""Sends a person whose password an admin chose (User.must_change_password) to the password change
page before any other page. /mcp is not concerned: its handler runs without MIDDLEWARE."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password and not self._allowed(request.path):
            messages.info(request, "An admin chose your password: choose your own before going on.")
            return redirect("password_change")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        allowed = (reverse("password_change"), reverse("password_change_done"), reverse("logout"), reverse("admin:logout"))
        return path in allowed or path.startswith("/" + settings.STATIC_URL.lstrip("/"))
