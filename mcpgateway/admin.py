"""The gateway's admin pages live beside their concepts; importing them here is how Django's admin
autodiscovery (which imports `<app>.admin`) finds them. Every revoking action ends a credential
(mcpgateway.core.credentials); deleting a token, an authorization or a live session row does the
same through mcpgateway.core.signals."""

from mcpgateway.audit import admin as audit_admin  # noqa: F401
from mcpgateway.mcp import admin as mcp_admin  # noqa: F401
from mcpgateway.oauth import admin as oauth_admin  # noqa: F401
from mcpgateway.spotify import admin as spotify_admin  # noqa: F401

from django.contrib import admin  # noqa: E402

# The lists must fit a 1280 px window beside their filters (tests/browser/test_admin_width.py): the
# navigation sidebar would take a quarter of it on every page; the breadcrumbs and index lead the way.
admin.site.enable_nav_sidebar = False
