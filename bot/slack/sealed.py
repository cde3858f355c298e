"""Sealed private_metadata: what Dexter puts in a modal comes back unchanged, or not at all.

Slack hands a view's `private_metadata` back with the submission exactly as the payload
carries it, so it is a hint, like a button value. Where a modal keeps *where to answer*
(a channel to post in, a response_url to call) Dexter seals it with an HMAC keyed from
the signing secret and opens it only when the seal matches; anything else reads as an
expired form. Sealing says "Dexter wrote this", not "this is still true": permission
decisions still ask Sentry (see docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TypeVar

from pydantic import BaseModel, ValidationError

SEP = "~"
MAC_CHARS = 32  # 128 bits of HMAC-SHA256, hex
CONTEXT = b"dexter/private_metadata/v1"

Model = TypeVar("Model", bound=BaseModel)


def _mac(secret: str, text: str) -> str:
    key = hmac.new(secret.encode(), CONTEXT, hashlib.sha256).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:MAC_CHARS]


def seal(secret: str, text: str) -> str:
    """`text` with its seal appended (MAC_CHARS + 1 characters longer)."""
    return f"{text}{SEP}{_mac(secret, text)}"


def unseal(secret: str, sealed: str | None) -> str | None:
    """The text Dexter sealed, or None when the seal is missing or does not match."""
    text, sep, mac = (sealed or "").rpartition(SEP)
    if not sep or not hmac.compare_digest(mac, _mac(secret, text)):
        return None
    return text


def seal_model(secret: str, model: BaseModel) -> str:
    """A model as sealed JSON (None fields left out)."""
    return seal(secret, model.model_dump_json(exclude_none=True))


def unseal_model(secret: str, cls: type[Model], sealed: str | None) -> Model | None:
    """The model Dexter sealed, or None when the seal or the JSON does not hold."""
    text = unseal(secret, sealed)
    if text is None:
        return None
    try:
        return cls.model_validate_json(text)
    except ValidationError:
        return None
