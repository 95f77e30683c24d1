"""Spotify tokens are encrypted at rest, never shown, and re-encrypted when keys rotate."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mcpgateway.core.crypto import SecretToken, TokenDecryptionError
from mcpgateway.spotify.models import SpotifyGrant

PLAIN_ACCESS = "BQDplain-access-token-value-1234567890"
PLAIN_REFRESH = "AQDplain-refresh-token-value-0987654321"


@pytest.fixture
def stored_grant(person):
    return SpotifyGrant.objects.create(
        user=person,
        spotify_user_id="someone",
        access_token=SecretToken.from_plaintext(PLAIN_ACCESS),
        refresh_token=SecretToken.from_plaintext(PLAIN_REFRESH),
    )


def raw_token_columns(grant_id):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT access_token, refresh_token FROM {SpotifyGrant._meta.db_table} WHERE id = %s", [grant_id]
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_tokens_are_not_stored_in_plain_text(stored_grant):
    access, refresh = raw_token_columns(stored_grant.pk)
    assert PLAIN_ACCESS not in access and PLAIN_REFRESH not in refresh
    reloaded = SpotifyGrant.objects.get(pk=stored_grant.pk)
    assert reloaded.access_token.reveal() == PLAIN_ACCESS
    assert reloaded.refresh_token.reveal() == PLAIN_REFRESH


@pytest.mark.django_db
def test_secret_token_never_prints_its_plaintext(stored_grant):
    token = SpotifyGrant.objects.get(pk=stored_grant.pk).access_token
    assert PLAIN_ACCESS not in repr(token) and PLAIN_ACCESS not in str(token) and PLAIN_ACCESS not in f"{token}"


def test_field_refuses_plain_strings():
    field = SpotifyGrant._meta.get_field("access_token")
    with pytest.raises(TypeError):
        field.get_prep_value("BQDa-plaintext-token")


@pytest.mark.django_db
def test_rotation_reencrypts_under_the_new_key_and_old_key_can_go(stored_grant, settings):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = raw_token_columns(stored_grant.pk)

    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_token_encryption")
    after = raw_token_columns(stored_grant.pk)
    assert after != before

    settings.TOKEN_ENCRYPTION_KEYS = [new_key]  # the old key is gone: tokens still read
    reloaded = SpotifyGrant.objects.get(pk=stored_grant.pk)
    assert reloaded.access_token.reveal() == PLAIN_ACCESS
    assert reloaded.refresh_token.reveal() == PLAIN_REFRESH


@pytest.mark.django_db
def test_rotation_reports_tokens_no_configured_key_can_read(stored_grant, settings):
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_token_encryption")
    with pytest.raises(TokenDecryptionError):
        SpotifyGrant.objects.get(pk=stored_grant.pk).access_token.reveal()


def test_a_token_is_decrypted_once_however_often_it_is_revealed(monkeypatch):
    from mcpgateway.core import crypto

    stored = SecretToken.from_plaintext("BQC-access-token").ciphertext
    decrypted = []
    decrypt = crypto.decrypt_token
    monkeypatch.setattr(crypto, "decrypt_token", lambda ciphertext: decrypted.append(ciphertext) or decrypt(ciphertext))
    token = SecretToken(stored)  # as read from the database
    assert [token.reveal() for _ in range(3)] == ["BQC-access-token"] * 3
    assert decrypted == [stored]
    assert repr(token) == str(token) == "SecretToken('********')"
