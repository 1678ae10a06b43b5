"""Encryption of OAuth tokens at rest (security-and-reliability.md §2.3).

MultiFernet under ``RELAIS_TOKEN_KEYS`` (first key encrypts, every key decrypts), never derived from SECRET_KEY.
The plaintext is bound to its row (``binding``): a ciphertext copied into another connection fails to decrypt.
Decryption failure raises ``TokenDecryptionError``; the caller marks the connection for reconnection. Nothing here
ever returns ciphertext as if it were a token.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables


class TokenDecryptionError(Exception):
    """The stored token cannot be read with the configured keys (wrong or missing key, or a copied ciphertext)."""


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise TokenDecryptionError("RELAIS_TOKEN_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise TokenDecryptionError("RELAIS_TOKEN_KEYS holds an invalid Fernet key.") from error


def token_fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.RELAIS_TOKEN_KEYS))


@sensitive_variables("plaintext")
def seal(plaintext: str, *, binding: str) -> str:
    """The ciphertext of ``plaintext`` for the row ``binding`` names ("" stays "": no token)."""
    if not plaintext:
        return ""
    return token_fernet().encrypt(f"{binding}\n{plaintext}".encode()).decode()


@sensitive_variables("plaintext")
def unseal(ciphertext: str, *, binding: str) -> str:
    """The token sealed for ``binding``; raises ``TokenDecryptionError`` if any key fails or the binding differs."""
    if not ciphertext:
        return ""
    try:
        plaintext = token_fernet().decrypt(ciphertext.encode()).decode()
    except (InvalidToken, ValueError) as error:
        raise TokenDecryptionError("The token cannot be decrypted with the configured keys.") from error
    bound, _, token = plaintext.partition("\n")
    if bound != binding:
        raise TokenDecryptionError("The token was sealed for another connection.")
    return token


def reseal(ciphertext: str) -> str:
    """``ciphertext`` re-encrypted under the active key (key rotation); raises like ``unseal``."""
    if not ciphertext:
        return ""
    try:
        return token_fernet().rotate(ciphertext.encode()).decode()
    except (InvalidToken, ValueError) as error:
        raise TokenDecryptionError("The token cannot be decrypted with the configured keys.") from error
