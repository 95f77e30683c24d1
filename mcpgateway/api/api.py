"""The REST API at /api/ (django-ninja): the dashboard's and the admins' actions for scripts and
browsers. Its OpenAPI schema is served at /api/openapi.json and read at /api/docs.

Authentication (mcpgateway.api.auth): a personal access token with the `api` scope, or the
signed-in session (with CSRF on unsafe methods). Every list is paged (mcpgateway.api.pagination).
Every error is JSON {"detail": "..."} (422 adds "errors": the fields refused).

One router module per resource, each with its schemas, registered in ROUTERS below: a new resource
is its module and one line here. This is not /mcp's NinjaAPI (mcpgateway.mcp.api), which its own
handler serves without Django's middleware.
"""

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from mcpgateway.core.database_outage import MESSAGE as DATABASE_UNAVAILABLE
from mcpgateway.core.database_outage import is_database_outage, note_outage, unavailable

from . import activity, admin_clients, admin_grants, admin_invitations, admin_people, clients, consents, me, spotify, tokens
from .auth import MEMBER_AUTH

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Spotify MCP gateway API",
    version="1",
    description=(
        "Your MCP clients, tokens, OAuth consents, Spotify connection and activity; for team admins, people, "
        "Spotify grants, everyone's clients, invitations and activity. Scripts send `Authorization: Bearer <personal access token>` "
        "with a token that has the `api` scope; a signed-in browser uses its session and sends the "
        "`csrftoken` cookie's value as `X-CSRFToken` on POST and DELETE. Lists take `page` and `page_size`."
    ),
    urls_namespace="api",
    auth=MEMBER_AUTH,
)

ROUTERS = (
    ("/me", me.router),
    ("/clients", clients.router),
    ("/tokens", tokens.router),
    ("/consents", consents.router),
    ("/spotify", spotify.router),
    ("/activity", activity.router),
    ("/admin", admin_people.router),
    ("/admin", admin_grants.router),
    ("/admin", admin_clients.router),
    ("/admin", admin_invitations.router),
    ("/admin", activity.admin_router),
)
for prefix, router in ROUTERS:
    api.add_router(prefix, router)


def error(request, status: int, detail: str, **extra):
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = error(
        request, 401, "Sign in, or send a personal access token with the api scope: Authorization: Bearer <token>."
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ValidationError)
def invalid(request, exc):
    fields = [
        {"loc": [str(part) if not isinstance(part, int) else part for part in item.get("loc", ())], "msg": item.get("msg", ""),
         "type": item.get("type", "")}
        for item in exc.errors
    ]
    summary = "; ".join(f"{'.'.join(str(part) for part in field['loc'])}: {field['msg']}" for field in fields)
    return error(request, 422, f"Invalid request: {summary}" if summary else "Invalid request.", errors=fields)


@api.exception_handler(Http404)
def not_found(request, exc):
    return error(request, 404, "Not found (or not yours).")


@api.exception_handler(Exception)
def unexpected(request, exc):
    # Never Django's HTML error page (nor a traceback) to an API client.
    if is_database_outage(exc):
        note_outage(request, exc)
        return unavailable(error(request, 503, DATABASE_UNAVAILABLE))
    logger.exception("Unexpected error on %s", request.path)
    return error(request, 500, "Internal error: the gateway's log has the details.")


def unknown_path(request, rest=""):
    """Anything under /api/ that is no endpoint: JSON, like the rest of the API."""
    return error(request, 404, "No such API endpoint: see /api/docs.")
