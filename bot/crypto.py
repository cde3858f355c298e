"""Encryption at rest for tokens Dexter keeps in Redis (Fernet, key from DEXTER_SECRET_KEY)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"dexter tokens at rest v1"


class SecretBox:
    """Encrypts and decrypts short secrets; the key is derived from the configured secret."""

    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def __repr__(self) -> str:
        return "SecretBox(...)"

    def encrypt(self, plain: str) -> str:
        """The ciphertext of plain, as text."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The plain text; raises ValueError when the key is wrong or the data was altered."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt: DEXTER_SECRET_KEY changed or data altered") from None
