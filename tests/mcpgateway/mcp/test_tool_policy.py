"""Administrators' tool policies: a tool group or a single tool restricted for one person or for
everyone is hidden from tools/list and refused on tools/call with a message saying an administrator
restricted it (both protocol eras), by the one access rule; saving and deleting a policy in the
admin reaches every worker at its next request."""

import asyncio
from types import SimpleNamespace

import pytest
from mcp_types import ListToolsResult, Tool

from mcpgateway.mcp.access import Refusal, Restrictions, ToolAccessMiddleware, ToolRequirement, tool_access
from mcpgateway.mcp.auth import Principal
from mcpgateway.mcp.context import SCOPE_EPOCH, SCOPE_PRINCIPAL
from mcpgateway.mcp.models import ToolPolicy
from mcpgateway.mcp.tools import TOOL_REQUIREMENTS
from tests.conftest import make_personal_access_token
from tests.mcpgateway.mcp.conftest import legacy_call, legacy_session, modern_call, reply_of

RESTRICTED = "An administrator of this gateway restricted"
PLAYBACK_TOOLS = {name for name, r in TOOL_REQUIREMENTS.items() if "spotify:playback" in r.gateway_scopes}


def principal(scopes=("spotify:read", "spotify:playback"), kind="pat"):
    return Principal(user_id=1, username="robin", scopes=frozenset(scopes), credential_id=f"{kind}:1", kind=kind, audience=None)


# --- the rule ----------------------------------------------------------------------------------


def test_a_restricted_group_or_tool_is_refused_by_the_one_rule_before_scopes():
    pause = ToolRequirement(frozenset({"spotify:playback"}))
    by_group = tool_access(principal(), None, pause, tool="pause_playback", restrictions=Restrictions(groups=frozenset({"spotify:playback"})))
    assert isinstance(by_group, Refusal) and by_group.reason == "admin_policy"
    assert by_group.message.startswith(f"{RESTRICTED} the tool group spotify:playback, which pause_playback belongs to")
    by_tool = tool_access(principal(), None, pause, tool="pause_playback", restrictions=Restrictions(tools=frozenset({"pause_playback"})))
    assert isinstance(by_tool, Refusal) and by_tool.reason == "admin_policy" and by_tool.lacking == {"pause_playback"}
    # An OAuth client lacking the scope is not sent to ask the person for it: no grant would help.
    oauth = tool_access(principal({"spotify:read"}, "oauth"), None, pause, tool="pause_playback",
                        restrictions=Restrictions(tools=frozenset({"pause_playback"})))
    assert oauth.reason == "admin_policy"


# --- the admin -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_offers_the_real_tools_and_refuses_an_unknown_one(admin_client, person):
    page = admin_client.get("/admin/mcpgateway/toolpolicy/add/")
    assert page.status_code == 200
    assert b'value="remove_playlist_items"' in page.content and b"destructive" in page.content
    assert b'value="spotify:playback"' in page.content

    response = admin_client.post("/admin/mcpgateway/toolpolicy/add/", {"user": person.pk, "blocked_tools": ["format_the_disk"]})
    assert response.status_code == 200
    assert "Unknown tool format_the_disk: the gateway has no tool by that name." in response.content.decode()
    nothing = admin_client.post("/admin/mcpgateway/toolpolicy/add/", {"user": person.pk})
    assert "Choose at least one tool group or tool to restrict." in nothing.content.decode()
    assert not ToolPolicy.objects.exists()


@pytest.mark.django_db
def test_the_dashboard_lists_what_is_restricted_for_the_person(admin_client, client, person, django_user_model):
    other = django_user_model.objects.create_user(username="alex", password="x")
    ToolPolicy.objects.create(user=None, blocked_tools=["remove_playlist_items"], note="Playlists are shared with the team.")
    ToolPolicy.objects.create(user=person, blocked_groups=["spotify:playback"])
    ToolPolicy.objects.create(user=other, blocked_tools=["get_queue"])
    client.force_login(person)

    page = client.get("/").content.decode()

    assert 'data-testid="restricted-tools"' in page
    assert "remove_playlist_items" in page and "pause_playback" in page and "Playlists are shared with the team." in page
    assert "get_queue" not in page.split('data-testid="restricted-tools"')[1]


# --- on real workers -------------------------------------------------------------------------------


def listed(response) -> set[str]:
    return {tool["name"] for tool in reply_of(response)["result"]["tools"]}


def called(response) -> dict:
    assert response.status_code == 200, response.text
    return reply_of(response)["result"]


def legacy(base: str, token: str):
    session = legacy_session(base, token)
    return (lambda: listed(legacy_call(base, token, session, "tools/list", {})),
            lambda name: called(legacy_call(base, token, session, "tools/call", {"name": name, "arguments": {}})))


def modern(base: str, token: str):
    return (lambda: listed(modern_call(base, token, "tools/list")),
            lambda name: called(modern_call(base, token, "tools/call", {"name": name, "arguments": {}})))


def assert_restricted(era, base: str, token: str) -> None:
    tools, call = era(base, token)
    names = tools()
    assert PLAYBACK_TOOLS.isdisjoint(names) and "remove_playlist_items" not in names
    assert "search" in names and "create_playlist" in names
    for name in ("pause_playback", "remove_playlist_items"):
        result = call(name)
        assert result["isError"] is True
        assert result["content"][0]["text"].startswith(RESTRICTED), result


def assert_unrestricted(era, base: str, token: str) -> None:
    tools, call = era(base, token)
    assert PLAYBACK_TOOLS | {"remove_playlist_items"} <= tools()
    result = call("pause_playback")  # no Spotify connected: the tool itself says so
    assert RESTRICTED not in result["content"][0]["text"], result


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
@pytest.mark.parametrize("era", [legacy, modern], ids=["2025-11-25", "2026-07-28"])
def test_a_policy_added_and_deleted_in_the_admin_reaches_every_worker(start_gateway, admin_client, person, django_user_model, era):
    first = start_gateway()
    second = start_gateway(PUBLIC_BASE_URL=first)
    token = make_personal_access_token(person)
    someone_else = make_personal_access_token(django_user_model.objects.create_user(username="alex", password="x"))
    for base in (first, second):  # both workers have read (and cached) the policies: none yet
        assert_unrestricted(era, base, token)

    added = admin_client.post("/admin/mcpgateway/toolpolicy/add/", {
        "user": person.pk, "blocked_groups": ["spotify:playback"], "blocked_tools": ["remove_playlist_items"], "note": "",
    })
    assert added.status_code == 302, added.content.decode()[:2000]

    for base in (first, second):
        assert_restricted(era, base, token)
        assert_unrestricted(era, base, someone_else)  # a person's policy is theirs alone

    policy = ToolPolicy.objects.get()
    deleted = admin_client.post(f"/admin/mcpgateway/toolpolicy/{policy.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not ToolPolicy.objects.exists()
    assert_unrestricted(era, second, token)


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_policy_for_everyone_restricts_everyone_and_an_update_reaches_the_workers(start_gateway, admin_client, person, django_user_model):
    base = start_gateway()
    tokens = [make_personal_access_token(person), make_personal_access_token(django_user_model.objects.create_user(username="alex", password="x"))]
    added = admin_client.post("/admin/mcpgateway/toolpolicy/add/", {
        "user": "", "blocked_groups": ["spotify:playback"], "blocked_tools": ["remove_playlist_items"], "note": "",
    })
    assert added.status_code == 302, added.content.decode()[:2000]
    for token in tokens:
        assert_restricted(modern, base, token)

    ToolPolicy.objects.update(blocked_groups=[], blocked_tools=["get_queue"])  # QuerySet.update moves the epoch too
    for token in tokens:
        names = listed(modern_call(base, token, "tools/list"))
        assert "get_queue" not in names and PLAYBACK_TOOLS <= names


@pytest.mark.django_db(transaction=True)
def test_the_middleware_reads_the_policies_once_per_epoch(person, django_assert_num_queries):
    ToolPolicy.objects.create(user=person, blocked_tools=["search"])
    middleware = ToolAccessMiddleware({"search": ToolRequirement(frozenset({"spotify:read"}))})
    listing = ListToolsResult(tools=[Tool(name=n, input_schema={"type": "object"}) for n in ("search", "get_gateway_identity")])
    caller = Principal(user_id=person.pk, username="robin", scopes=frozenset({"spotify:read"}), credential_id="pat:1", kind="pat", audience=None)
    ctx = SimpleNamespace(method="tools/list", params={}, request=SimpleNamespace(scope={SCOPE_PRINCIPAL: caller, SCOPE_EPOCH: "test-epoch"}))

    async def call_next(_ctx):
        return listing

    first = asyncio.run(middleware(ctx, call_next))
    with django_assert_num_queries(0):
        again = asyncio.run(middleware(ctx, call_next))
    assert [t.name for t in first.tools] == [t.name for t in again.tools] == ["get_gateway_identity"]


@pytest.mark.django_db
@pytest.mark.parametrize("groups, tools, field", [
    ("spotify:playback", [], "blocked_groups"),  # a string: its letters would restrict nothing
    ([], 7, "blocked_tools"),  # not a list: reading it would fail every /mcp call
    (["spotify:everything"], [], "blocked_groups"),
    ([], ["no_such_tool"], "blocked_tools"),
    ([], [], "__all__"),
])
def test_a_policy_written_outside_the_admin_is_checked_and_not_saved(person, groups, tools, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        ToolPolicy.objects.create(user=person, blocked_groups=groups, blocked_tools=tools)
    assert field in refused.value.message_dict
    assert not ToolPolicy.objects.exists()
