"""The dashboard and the Spotify connection pages: thin views over the services."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .credentials import PAT_CREDENTIAL_PREFIX, credential_revoke, sessions_revoke
from .mcp.auth import personal_access_token_create
from .models import McpSession, PersonalAccessToken
from .oauth.selectors import OAUTH_RESUME_SESSION_KEY
from .scopes import GATEWAY_SCOPES
from .selectors import credential_clients, credential_name, credentials_with_clients
from .spotify.accounts import SPOTIFY_SCOPES
from .spotify.selectors import grant_for_user
from .spotify.services import REFRESH_TOKEN_LIFETIME, ConnectError, connect_complete, connect_start, grant_disconnect


@require_GET
@login_required
def dashboard(request):
    grant = grant_for_user(user=request.user)
    tokens, authorizations, clients_page = credentials_with_clients(user=request.user, page_number=request.GET.get("page", 1))
    missing_scopes = sorted(set(SPOTIFY_SCOPES) - grant.scope_set) if grant and grant.status == grant.Status.ACTIVE else []
    return render(
        request,
        "dashboard.html",
        {
            "grant": grant,
            "scopes": sorted(grant.scope_set) if grant else [],
            "missing_scopes": missing_scopes,
            "connection_ends_at": grant.consented_at + REFRESH_TOKEN_LIFETIME if grant else None,
            "authorizations": authorizations,
            "tokens": tokens,
            "clients_page": clients_page,
            "gateway_scopes": GATEWAY_SCOPES,
            "expiry_choices": EXPIRY_CHOICES,
            "now": timezone.now(),
        },
    )


EXPIRY_CHOICES = (("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("never", "Never"))


@require_POST
@login_required
def token_create(request):
    expiry = request.POST.get("expires_in", "90")
    try:
        if expiry not in dict(EXPIRY_CHOICES):
            raise ValueError("Choose one of the offered expiry periods.")
        token, plaintext = personal_access_token_create(
            user=request.user,
            name=request.POST.get("name", ""),
            scopes=set(request.POST.getlist("scopes")),
            expires_in_days=None if expiry == "never" else int(expiry),
        )
    except ValueError as exc:
        messages.error(request, f"The token was not created: {exc}")
        return redirect("dashboard")
    # Rendered straight from the POST, never stored or redirected: this page is the only time the
    # token exists outside the client that uses it.
    response = render(request, "token_created.html", {"token": token, "plaintext": plaintext})
    response["Cache-Control"] = "no-store"
    return response


def _revoke_credential(request, *, credential_id: str):
    """GET: what revoking this credential stops (the person decides knowing it); POST: revoke it.

    A client's name is its own claim and one credential serves any number of clients, so a
    disconnect always ends the credential: a token, or the OAuth client's authorization."""
    name = credential_name(credential_id=credential_id)
    is_token = credential_id.startswith(PAT_CREDENTIAL_PREFIX)
    if request.method == "GET":
        return render(request, "credential_revoke.html", {
            "name": name,
            "is_token": is_token,
            "clients": credential_clients(credential_id=credential_id),
        })
    stopped = credential_clients(credential_id=credential_id)
    credential_revoke(credential_id=credential_id, revoked_by=request.user)
    stopped_names = ", ".join(sorted({row.client_name or "MCP client" for row in stopped})) or "no client"
    if is_token:
        messages.success(request, f"Token “{name}” revoked: {stopped_names} stopped and cannot use it again.")
    else:
        messages.success(request, f"{name} disconnected: its tokens are revoked; it must ask for your approval again.")
    return redirect("dashboard")


@require_http_methods(["GET", "POST"])
@login_required
def token_revoke(request, token_id: int):
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user, revoked_at__isnull=True)
    return _revoke_credential(request, credential_id=token.credential_id)


@require_http_methods(["GET", "POST"])
@login_required
def session_revoke(request, session_id):
    session = get_object_or_404(McpSession, pk=session_id, user=request.user, revoked_at__isnull=True)
    if session.credential_id:
        return _revoke_credential(request, credential_id=session.credential_id)
    if request.method == "POST":  # a row of no credential (none is made today): it alone
        sessions_revoke(sessions=McpSession.objects.filter(pk=session.pk), revoked_by=request.user)
        messages.success(request, f"{session.client_name or 'MCP client'} disconnected.")
        return redirect("dashboard")
    return render(request, "credential_revoke.html", {"name": session.client_name or "MCP client", "clients": [session]})


@require_POST
@login_required
def spotify_connect(request):
    public = urlsplit(settings.PUBLIC_BASE_URL)
    if request.get_host() != public.netloc:
        # Spotify sends the person back to PUBLIC_BASE_URL; a session cookie set on another host name
        # (localhost instead of 127.0.0.1, say) would not travel with them, and the answer would be refused.
        messages.info(request, f"Connect Spotify from {settings.PUBLIC_BASE_URL}/ (sign in there), so Spotify can bring you back signed in.")
        return redirect(f"{settings.PUBLIC_BASE_URL}/")
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
        request.session.pop(OAUTH_RESUME_SESSION_KEY, None)
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Spotify connected as {grant.display_name}.")
        # Connecting Spotify interrupted an MCP client's authorization: go back to its consent.
        resume = request.session.pop(OAUTH_RESUME_SESSION_KEY, None)
        if resume and url_has_allowed_host_and_scheme(resume, allowed_hosts=None):
            return redirect(resume)
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
