"""The scope table the emulator ships must match Spotify's OpenAPI file, and the emulator
must serve exactly the operations that are not deprecated (removed in Feb 2026)."""

from __future__ import annotations

from mcpgateway.spotify_emulator import webapi
from mcpgateway.spotify_emulator.operations import ALL_SCOPES, OPERATIONS

from .spotify_openapi import spec_dict


def test_table_matches_yaml():
    spec = spec_dict()
    ops = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "delete"):
                scopes = tuple(s for req in (op.get("security") or []) for s in req.get("oauth_2_0", []))
                ops.append((method.upper(), path, op["operationId"], bool(op.get("deprecated")), scopes))
    assert tuple(ops) == OPERATIONS
    flows = spec["components"]["securitySchemes"]["oauth_2_0"]["flows"]["authorizationCode"]["scopes"]
    assert tuple(flows) == ALL_SCOPES


def test_serves_exactly_the_non_deprecated_operations():
    served = {(m, p, opid) for m, p, opid, _ in webapi.ROUTES}
    wanted = {(m, p, opid) for m, p, opid, dep, _ in OPERATIONS if not dep}
    assert served == wanted
