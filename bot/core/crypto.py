"""Encryption at rest for tokens Dexter keeps in Redis (Fernet, keys from DEXTER_SECRET_KEY).

DEXTER_SECRET_KEY may hold several comma-separated keys to rotate without downtime: the
first encrypts, every one decrypts (MultiFernet). Values read with an older key are
re-encrypted with the first one by the stores that read them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"dexter tokens at rest v1"


def split_keys(secret: str) -> list[str]:
    """The keys of a DEXTER_SECRET_KEY value, newest first."""
    return [k.strip() for k in secret.split(",") if k.strip()]


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SecretBox:
    """Encrypts with the first key and decrypts with any; keys derive from the secrets given."""

    def __init__(self, secret: str) -> None:
        keys = split_keys(secret)
        if not keys:
            raise ValueError("no key given")
        fernets = [_fernet(k) for k in keys]
        self._primary = fernets[0]
        self._fernet = MultiFernet(fernets)

    def __repr__(self) -> str:
        return "SecretBox(...)"

    def encrypt(self, plain: str) -> str:
        """The ciphertext of plain, as text (with the first key)."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The plain text; raises ValueError when no key fits or the data was altered."""
        return self.open(token)[0]

    def open(self, token: str) -> tuple[str, bool]:
        """(plain text, True when an older key encrypted it and it should be re-encrypted)."""
        try:
            plain = self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt: DEXTER_SECRET_KEY changed or data altered") from None
        try:
            self._primary.decrypt(token.encode())
        except InvalidToken:
            return plain, True
        return plain, False
