"""Which Sentry integration installation is Dexter's, for alert-rule actions that name it.

`SENTRY_INTEGRATION_INSTALLATION` when set; otherwise the organisation's one installed app
whose slug starts with `dexter` (`GET organizations/{org}/sentry-app-installations/`; internal
integrations get a slug from their name). Offered only when Dexter receives Sentry's pushes
(`SENTRY_CLIENT_SECRET` set): an action Dexter never hears about would notify nobody.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.core.errors import SentryError
from bot.sentry.scope import cache_key

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from bot.core.store import Store
    from bot.sentry.client import SentryClient

log = logging.getLogger(__name__)

CACHE_TTL = 300.0
SLUG_PREFIX = "dexter"


def pick(installations: Any) -> str | None:
    """The uuid of the only installed app whose slug starts with `dexter`, else None."""
    found: list[str] = []
    for item in installations if isinstance(installations, list) else []:
        if not isinstance(item, dict) or item.get("status") not in (None, "installed"):
            continue
        app = item.get("app") if isinstance(item.get("app"), dict) else {}
        slug = str((app or {}).get("slug") or "")
        if slug.startswith(SLUG_PREFIX) and isinstance(item.get("uuid"), str):
            found.append(item["uuid"])
    return found[0] if len(found) == 1 else None


async def dexter_installation(settings: Settings, store: Store, sentry: SentryClient) -> str | None:
    """Dexter's installation uuid, or None when alerts cannot be pushed to Dexter."""
    if settings.sentry_client_secret is None:
        return None
    if settings.sentry_integration_installation:
        return settings.sentry_integration_installation

    async def load() -> str:
        try:
            resp = await sentry.get(sentry.org_path("sentry-app-installations"))
        except SentryError as exc:
            log.info("could not list Sentry's app installations: %s", type(exc).__name__)
            return ""
        return pick(resp.data) or ""

    key = cache_key(store, sentry, "alertpush", "installation")
    return await store.cached(key, CACHE_TTL, load) or None
