"""Connecting a person's Spotify account (Authorization Code + PKCE) and disconnecting it."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mcpgateway.oauth.selectors import OAUTH_RESUME_SESSION_KEY
from mcpgateway.spotify.selectors import grant_for_user
from mcpgateway.spotify.services import ConnectError, connect_complete, connect_start, grant_disconnect


@require_POST
@login_required
def spotify_connect(request):
    public = urlsplit(settings.PUBLIC_BASE_URL)
    if request.get_host() != public.netloc:
        # Spotify sends the person back to PUBLIC_BASE_URL; a session cookie set on another host name
        # (localhost instead of 127.0.0.1, say) would not travel with them, and the answer would be refused.
        messages.info(request, f"Connect Spotify from {settings.PUBLIC_BASE_URL}/ (sign in there), so Spotify can bring you back signed in.")
        return redirect(f"{settings.PUBLIC_BASE_URL}/")
    try:
        return redirect(connect_start(user=request.user, session=request.session))
    except ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard")


@require_GET
@login_required
def spotify_callback(request):
    try:
        grant = connect_complete(
            user=request.user,
            session=request.session,
            state=request.GET.get("state"),
            code=request.GET.get("code"),
            error=request.GET.get("error"),
        )
    except ConnectError as exc:
        request.session.pop(OAUTH_RESUME_SESSION_KEY, None)
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Spotify connected as {grant.display_name}.")
        # Connecting Spotify interrupted an MCP client's authorization: go back to its consent.
        resume = request.session.pop(OAUTH_RESUME_SESSION_KEY, None)
        if resume and url_has_allowed_host_and_scheme(resume, allowed_hosts=None):
            return redirect(resume)
    return redirect("dashboard")


@require_http_methods(["GET", "POST"])
@login_required
def spotify_disconnect(request):
    """GET: what disconnecting stops, and a button to do it (works without JavaScript); POST: do it."""
    grant = grant_for_user(user=request.user)
    if request.method == "GET":
        if grant is None or grant.status == grant.Status.DISCONNECTED:
            messages.info(request, "Spotify is not connected.")
            return redirect("dashboard")
        return render(request, "spotify_disconnect.html", {"grant": grant})
    if grant is None or grant.status == grant.Status.DISCONNECTED:
        messages.info(request, "Spotify was not connected.")
    else:
        grant_disconnect(grant=grant)
        messages.success(
            request,
            "Spotify disconnected: the gateway forgot its tokens. To remove the app on Spotify's side too, "
            "open your Spotify account's Apps page.",
        )
    return redirect("dashboard")
