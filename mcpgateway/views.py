"""The dashboard and the Spotify connection pages: thin views over the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .models import McpSession
from .spotify.client import SPOTIFY_SCOPES
from .spotify.selectors import grant_for_user
from .spotify.services import REFRESH_TOKEN_LIFETIME, ConnectError, connect_complete, connect_start, grant_disconnect


@require_GET
@login_required
def dashboard(request):
    grant = grant_for_user(user=request.user)
    sessions = McpSession.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-last_seen_at", "-created_at")[:50]
    missing_scopes = sorted(set(SPOTIFY_SCOPES) - grant.scope_set) if grant and grant.status == grant.Status.ACTIVE else []
    return render(
        request,
        "dashboard.html",
        {
            "grant": grant,
            "scopes": sorted(grant.scope_set) if grant else [],
            "missing_scopes": missing_scopes,
            "connection_ends_at": grant.consented_at + REFRESH_TOKEN_LIFETIME if grant else None,
            "sessions": sessions,
            "now": timezone.now(),
        },
    )


@require_POST
@login_required
def spotify_connect(request):
    grant = grant_for_user(user=request.user)
    return redirect(connect_start(user=request.user, session=request.session, reconnect=grant is not None))


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
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Spotify connected as {grant.display_name}.")
    return redirect("dashboard")


@require_POST
@login_required
def spotify_disconnect(request):
    grant = grant_for_user(user=request.user)
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
