"""/mcp has one route: the MCP handler's own URLconf (config/asgi.py sends /mcp there), never
ROOT_URLCONF and its full middleware stack. Its RFC 9728 metadata is served through ROOT_URLCONF."""

import pytest
from django.urls import Resolver404, resolve

from config.asgi import MCP_PATHS
from mcpgateway.mcp.handler import MCP_URLCONF
from mcpgateway.mcp.wellknown import protected_resource_metadata


def test_mcp_is_routed_by_the_mcp_handler_only():
    assert "/mcp" in MCP_PATHS  # config/asgi.py hands these to the MCP handler
    assert resolve("/mcp", urlconf=MCP_URLCONF).url_name == "mcp"
    with pytest.raises(Resolver404):
        resolve("/mcp")


@pytest.mark.django_db
def test_mcp_through_the_full_stack_is_not_found(client):
    assert client.post("/mcp", data=b"{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])
def test_the_protected_resource_metadata_is_served_by_root_urlconf(path):
    assert resolve(path).func is protected_resource_metadata
