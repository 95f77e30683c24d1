"""Template tags of the admin's own pages (templates/admin/): computed only where they are shown."""

from django import template
from django.conf import settings
from django.urls import reverse

from mcpgateway.spotify.models import SpotifyGrant
from mcpgateway.spotify.selectors import spotify_app_usage

register = template.Library()


@register.inclusion_tag("admin/_spotify_app_panel.html")
def spotify_app_panel():
    """The admin index's panel: the Spotify app in use, its places taken, the failing grants and
    those Spotify ends soon."""
    grants = reverse("admin:mcpgateway_spotifygrant_changelist")
    return {
        "usage": spotify_app_usage(),
        "needs_reconnect_url": f"{grants}?status__exact={SpotifyGrant.Status.NEEDS_RECONNECT}",
        "ending_soon_url": f"{grants}?ends=soon",
        "warning_days": settings.SPOTIFY_GRANT_EXPIRY_WARNING_DAYS,
        "grants_url": grants,
    }


@register.simple_tag
def sso_sign_in_label() -> str:
    """The single sign-on button's label on the admin's sign-in page, or "" when it is off."""
    from accounts.sso import sso_enabled, sso_label

    return sso_label() if sso_enabled() else ""
