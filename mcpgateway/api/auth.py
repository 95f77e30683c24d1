"""Who calls the API: a signed-in browser (Django session; CSRF checked on unsafe methods) or a
script with a personal access token carrying the `api` scope (Authorization: Bearer). Both give the
view `request.auth`: the person. Admin routers take the `admin=True` variants: team admins only
(active people with is_staff)."""

from django.contrib.auth import get_user_model
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from mcpgateway.core.scopes import SCOPE_API
from mcpgateway.mcp.auth import authenticate_personal_access_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _admitted(user, *, admin: bool):
    if admin and not user.is_staff:
        raise HttpError(403, "Only team admins may use this endpoint.")
    return user


class TokenAuth(HttpBearer):
    """A personal access token with the `api` scope (accounts.services; verified like /mcp's)."""

    def __init__(self, *, admin: bool = False) -> None:
        self.admin = admin
        super().__init__()

    def authenticate(self, request, token):
        principal = authenticate_personal_access_token(token)
        if principal is None:
            return None  # unknown, expired or revoked: 401
        if SCOPE_API not in principal.scopes:
            raise HttpError(
                403, f"This token does not have the scope `{SCOPE_API}`, which the API needs: create a token with it on the dashboard."
            )
        user = get_user_model().objects.filter(pk=principal.user_id, is_active=True).first()
        if user is None:
            return None
        request.user = user
        request.api_token_scopes = principal.scopes
        request.api_token_credential_id = principal.credential_id
        return _admitted(user, admin=self.admin)


class BrowserSessionAuth(SessionAuth):
    """The signed-in person's session; unsafe methods need Django's CSRF token (X-CSRFToken header).
    A request without a session has nothing to forge: it is simply not signed in (401)."""

    def __init__(self, *, admin: bool = False) -> None:
        self.admin = admin
        super().__init__(csrf=True)

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        if not request.user.is_authenticated:
            return None
        return _admitted(request.user, admin=self.admin)


MEMBER_AUTH = [TokenAuth(), BrowserSessionAuth()]
ADMIN_AUTH = [TokenAuth(admin=True), BrowserSessionAuth(admin=True)]
