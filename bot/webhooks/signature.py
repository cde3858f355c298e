"""Is a delivery from Sentry, and fresh? (pure functions, no I/O)

Sentry signs every webhook with the integration's client secret:
`Sentry-Hook-Signature` = hex HMAC-SHA256 of the raw request body
(src/sentry/sentry_apps/api/serializers/app_platform_event.py, `sentry_headers`), and
stamps it with `Sentry-Hook-Timestamp` (epoch seconds, when it was built).
"""

from __future__ import annotations

import hashlib
import hmac

MAX_AGE = 300.0  # a delivery older than five minutes is refused (a replay, or a stuck proxy)
MAX_SKEW = 60.0  # a timestamp this far in the future is refused too (clock skew allowed)


def sign(secret: str, body: bytes) -> str:
    """The signature Sentry sends for `body` (hex HMAC-SHA256)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def valid_signature(secret: str, body: bytes, signature: str | None) -> bool:
    """True when `signature` is the body's signature with `secret` (constant-time compare)."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().lower().encode())


def fresh(timestamp: str | None, now: float) -> bool:
    """True when the delivery was stamped within the last five minutes."""
    if not timestamp:
        return False
    try:
        at = float(timestamp)
    except ValueError:
        return False
    return now - MAX_AGE <= at <= now + MAX_SKEW
