"""The dashboard: a person's Spotify connection, MCP clients and tokens, and the actions on them.
Thin views over the services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import PersonalAccessToken
from accounts.services import personal_access_token_create
from mcpgateway.audit.selectors import recent_tool_calls
from mcpgateway.core.credentials import PAT_CREDENTIAL_PREFIX, credential_revoke, sessions_revoke
from mcpgateway.core.public_urls import mcp_url as public_mcp_url
from mcpgateway.core.scopes import ALL_MCP_SCOPES, GATEWAY_SCOPES, MCP_SCOPES, SCOPE_NAMES
from mcpgateway.core.selectors import credential_clients, credential_name, credentials_with_clients
from mcpgateway.dashboard.client_setup import client_setup, client_setups
from mcpgateway.mcp.models import McpSession
from mcpgateway.mcp.policies import restricted_tools_for
from mcpgateway.spotify.accounts import SPOTIFY_SCOPES
from mcpgateway.spotify.selectors import allowlist_advice, connect_refusal, grant_for_user
from mcpgateway.spotify.services import REFRESH_TOKEN_LIFETIME


@require_GET
@login_required
def dashboard(request):
    return _render_dashboard(request)


def _render_dashboard(request, *, token_form=None, status=200):
    """The dashboard; `token_form` is the token form's input to show again after an error."""
    grant = grant_for_user(user=request.user)
    tokens, authorizations, clients_page = credentials_with_clients(user=request.user, page_number=request.GET.get("page", 1))
    missing_scopes = sorted(set(SPOTIFY_SCOPES) - grant.scope_set) if grant and grant.status == grant.Status.ACTIVE else []
    return render(
        request,
        "dashboard.html",
        {
            "grant": grant,
            "connect_refusal": connect_refusal(grant=grant),
            "allowlist_advice": allowlist_advice(user=request.user, grant=grant),
            "scopes": sorted(grant.scope_set) if grant else [],
            "missing_scopes": missing_scopes,
            "connection_ends_at": grant.consented_at + REFRESH_TOKEN_LIFETIME if grant else None,
            "connection_ending_soon": grant is not None and grant.ends_within(settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS),
            "authorizations": authorizations,
            "tokens": tokens,
            "clients_page": clients_page,
            "token_scope_choices": [(scope, SCOPE_NAMES[scope], description) for scope, description in GATEWAY_SCOPES.items()],
            "restricted": restricted_tools_for(user=request.user),
            "tool_calls": recent_tool_calls(user=request.user),
            # The MCP scopes are ticked by default; `api` (the REST API) only when asked for.
            "token_form": token_form or {"name": "", "scopes": set(MCP_SCOPES), "expires_in": "90"},
            "expiry_choices": EXPIRY_CHOICES,
            "now": timezone.now(),
        },
        status=status,
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
        # The page again with what the person typed and ticked, to fix rather than redo.
        messages.error(request, f"The token was not created: {exc}")
        token_form = {"name": request.POST.get("name", ""), "scopes": set(request.POST.getlist("scopes")), "expires_in": expiry}
        return _render_dashboard(request, token_form=token_form, status=400)
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


CLIENT_TOKEN_DAYS = 90


@require_http_methods(["GET", "POST"])
@login_required
def connect_client(request):
    """Copy-ready set-up for each MCP client (mcpgateway/dashboard/client_setup.py). POST makes a
    personal access token for one client and shows its set-up filled in, this once."""
    mcp_url = public_mcp_url()
    token = made_for = None
    status = 200
    if request.method == "POST":
        made_for = client_setup(request.POST.get("client", ""), mcp_url=mcp_url)
        if made_for is None:
            messages.error(request, "Choose one of the clients on this page.")
            status = 400
        else:
            row, token = personal_access_token_create(
                user=request.user, name=f"{made_for.name} ({timezone.localdate():%Y-%m-%d})"[:100],
                scopes=ALL_MCP_SCOPES, expires_in_days=CLIENT_TOKEN_DAYS,
            )
            messages.success(request, f"Token “{row.name}” created for {made_for.name}: copy it now, it is shown only this once.")
    setups = client_setups(mcp_url=mcp_url)
    if made_for is not None and token is not None:
        setups = [client_setup(made_for.key, mcp_url=mcp_url, token=token) if setup.key == made_for.key else setup for setup in setups]
    response = render(request, "connect_client.html", {
        "setups": setups, "token": token, "made_for": made_for if token else None, "token_days": CLIENT_TOKEN_DAYS,
    }, status=status)
    if token:
        response["Cache-Control"] = "no-store"
    return response
