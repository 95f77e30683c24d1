"""Upgrading a database from before personal access tokens moved to accounts (mcpgateway 0007,
accounts 0002): the rows, their table's data and the admin's history come along, and a token made
before the upgrade still opens /mcp after it."""

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import PersonalAccessToken
from accounts.services import token_digest
from mcpgateway.core.revocation import bump_revocation_epoch
from mcpgateway.mcp.auth import authenticate_bearer

BEFORE = [("accounts", "0001_initial"), ("mcpgateway", "0006_connection_unique_while_live")]
PLAINTEXT = "smgp_made-before-the-upgrade-0123456789abcdef"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_upgrade_keeps_tokens_their_history_and_their_use():
    # Every other app stays where it is: only the two apps of the move go back.
    old = migrate([node for node in latest() if node[0] not in ("accounts", "mcpgateway")] + BEFORE)
    User = old.get_model("accounts", "User")
    OldToken = old.get_model("mcpgateway", "PersonalAccessToken")
    ContentType = old.get_model("contenttypes", "ContentType")
    LogEntry = old.get_model("admin", "LogEntry")
    person = User.objects.create(username="early", is_active=True)
    token = OldToken.objects.create(user=person, name="laptop script", token_prefix=PLAINTEXT[:9],
                                    token_digest=token_digest(PLAINTEXT), scopes="spotify:read")
    old_type = ContentType.objects.get(app_label="mcpgateway", model="personalaccesstoken")
    LogEntry.objects.create(user_id=person.pk, content_type_id=old_type.pk, object_id=str(token.pk),
                            object_repr="laptop script", action_flag=2, change_message="[]")

    migrate(latest())

    moved = PersonalAccessToken.objects.get(pk=token.pk)
    assert (moved.user_id, moved.name, moved.scopes) == (person.pk, "laptop script", "spotify:read")
    assert PersonalAccessToken._meta.db_table == "accounts_personalaccesstoken"
    from django.contrib.admin.models import LogEntry as LogEntryNow
    from django.contrib.contenttypes.models import ContentType as ContentTypeNow

    ContentTypeNow.objects.clear_cache()
    history = LogEntryNow.objects.get(object_id=str(token.pk))
    assert history.content_type.app_label == "accounts" and history.get_edited_object() == moved
    assert not ContentTypeNow.objects.filter(app_label="mcpgateway", model="personalaccesstoken").exists()
    bump_revocation_epoch()
    principal = async_to_sync(authenticate_bearer)(PLAINTEXT)
    assert principal is not None and principal.user_id == person.pk and principal.credential_id == f"pat:{token.pk}"
    # New tokens get ids after the old ones (PostgreSQL's identity sequence came along with the table).
    newer = PersonalAccessToken.objects.create(user_id=person.pk, name="new", token_prefix="smgp_new", token_digest="d" * 64, scopes="spotify:read")
    assert newer.pk > token.pk
