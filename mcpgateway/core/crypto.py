"""Encryption at rest for Spotify tokens (MultiFernet: write with the newest key, read with any).

A `SecretToken` wraps a stored ciphertext. It never shows its plaintext in `str()`/`repr()`, so a
token cannot leak through a log line, an admin page or an error message by accident: the plaintext
is only had by calling `reveal()`, at the place it is sent to Spotify.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class TokenDecryptionError(Exception):
    """The ciphertext was written with a key that is no longer configured."""


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def token_fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def encrypt_token(plaintext: str) -> str:
    return token_fernet().encrypt(plaintext.encode()).decode()


def decrypt_token(ciphertext: str) -> str:
    try:
        return token_fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError("Stored token cannot be decrypted with the configured keys") from exc


def reencrypt_token(ciphertext: str) -> str:
    """The same plaintext under the newest key (MultiFernet.rotate)."""
    try:
        return token_fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError("Stored token cannot be decrypted with the configured keys") from exc


class SecretToken:
    # The plaintext is kept once revealed: a cached grant's access token is sent to Spotify on every
    # tool call, and decrypting it each time was a Fernet HMAC check and AES decryption per call.
    # It is no more exposed than before: whoever reads this process's memory has the keys too.
    __slots__ = ("ciphertext", "_plaintext")

    def __init__(self, ciphertext: str):
        self.ciphertext = ciphertext
        self._plaintext: str | None = None

    @classmethod
    def from_plaintext(cls, plaintext: str) -> SecretToken:
        token = cls(encrypt_token(plaintext))
        token._plaintext = plaintext
        return token

    def reveal(self) -> str:
        if self._plaintext is None:
            self._plaintext = decrypt_token(self.ciphertext)
        return self._plaintext

    def __repr__(self) -> str:
        return "SecretToken('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretToken) and other.ciphertext == self.ciphertext

    def __hash__(self) -> int:
        return hash(self.ciphertext)


class EncryptedTokenField(models.TextField):
    """Stores a `SecretToken` as Fernet ciphertext; an empty string means "no token"."""

    def from_db_value(self, value, expression, connection):
        return SecretToken(value) if value else None

    def to_python(self, value):
        if value is None or isinstance(value, SecretToken):
            return value
        return SecretToken(value) if value else None

    def get_prep_value(self, value):
        if value is None or value == "":  # "" is the column's empty default, not a token
            return ""
        if isinstance(value, SecretToken):
            return value.ciphertext
        raise TypeError("EncryptedTokenField takes a SecretToken, never a plaintext string")

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return value.ciphertext if value else ""
