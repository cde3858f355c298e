"""How long a fired issue alert's card is reused: the rule's action interval, read from Sentry.

Legacy issue alert rules keep it as `frequency` (minutes) on
`projects/{org}/{project}/rules/{rule_id}/`; Alerts (workflows) as `config.frequency` (minutes)
on `organizations/{org}/workflows/{workflow_id}/`. An id Sentry does not know under either, or
no answer, falls back to Sentry's default of 30 minutes.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from bot.core.errors import SentryError
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.scope import cache_key

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 30
CACHE_TTL = 600.0


def _minutes(value: Any) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    return None


async def rule_interval(store: Store, client: SentryClient, project: str, rule_id: str) -> float:
    """The rule's action interval in seconds."""

    async def load() -> int:
        legacy = f"projects/{quote(client.org, safe='')}/{quote(project, safe='')}/rules/{rule_id}/"
        try:
            data = (await client.get(legacy)).data
            found = _minutes(data.get("frequency")) if isinstance(data, dict) else None
            if found:
                return found
        except SentryError as exc:
            log.info("rule %s not readable as a legacy rule: %s", rule_id, type(exc).__name__)
        try:
            data = (await client.get(client.org_path("workflows", rule_id))).data
            config = data.get("config") if isinstance(data, dict) else None
            found = _minutes(config.get("frequency")) if isinstance(config, dict) else None
            if found:
                return found
        except SentryError as exc:
            log.info("rule %s not readable as a workflow: %s", rule_id, type(exc).__name__)
        return DEFAULT_MINUTES

    key = cache_key(store, client, "alertpush", "interval", project, rule_id)
    minutes = await store.cached(key, CACHE_TTL, load)
    return float(minutes) * 60
