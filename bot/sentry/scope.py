"""Which Sentry an answer came from: the one place Sentry cache keys are built.

Two workspaces may use two Sentry servers whose organisations share a slug. A cache keyed by
the slug alone hands one workspace the other's members, roles and projects, so every Sentry
cache key (Redis or in-process) starts with the client's identity: its base URL and
organisation. Services never build such keys themselves (tests/sentry/test_sentry_scope.py checks).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from bot.core.store import Store
from bot.sentry.client import SentryClient


@lru_cache(maxsize=256)
def _server(base_url: str) -> str:
    return hashlib.sha256(base_url.rstrip("/").lower().encode()).hexdigest()[:12]


def sentry_identity(client: SentryClient) -> str:
    """`<server hash>:<org>` for the Sentry the current request or job is routed to."""
    return f"{_server(client.base_url)}:{client.org}"


def cache_key(store: Store, client: SentryClient, *parts: str) -> str:
    """The Redis key of a cached Sentry answer, scoped to the client's server and org."""
    return store.key("sentry", sentry_identity(client), *parts)
