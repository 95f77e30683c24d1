"""What a worker keeps of the sessions it tracks (mcpgateway/mcp/session_tracking.py). The protocol
behaviour of sessions is tests/mcpgateway/mcp/test_sessions.py."""

import asyncio

import pytest

from mcpgateway.core.revocation import current_revocation_epoch
from mcpgateway.mcp import session_tracking
from mcpgateway.mcp.auth import authenticate_bearer
from mcpgateway.mcp.session_tracking import ClientInfo, mcp_session_find, mcp_session_start
from tests.conftest import make_personal_access_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_idle_sessions_are_kept_small_and_share_their_strings(person):
    """10,000 idle sessions must cost a worker under 5 MB (bench/idle_sessions.py): no per-instance
    __dict__, one copy of a credential's id and a client's name, one UUID for the id and the key."""
    token = make_personal_access_token(person)

    async def start_two():
        epoch = await current_revocation_epoch()
        principal = await authenticate_bearer(token, epoch=epoch)
        client = ClientInfo(name="".join(["idle", "-client"]), protocol_version="2025-11-25")
        first = await mcp_session_start(principal=principal, client=client, epoch=epoch)
        second = await mcp_session_start(principal=principal, client=client, epoch=epoch)
        # A worker that did not start the session reads the row: the same sharing applies.
        session_tracking._cache.clear()
        found = await mcp_session_find(session_id=second.id.hex, principal=principal, epoch=epoch)
        return first, second, found

    first, second, found = asyncio.run(start_two())
    for state in (first, second, found):
        assert not hasattr(state, "__dict__")
    assert first.credential_id is second.credential_id is found.credential_id
    assert first.client_name is second.client_name is found.client_name
    assert found.id in session_tracking._cache.entries
    assert all(key is state.id for key, state in session_tracking._cache.entries.items())
