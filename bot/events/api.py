"""The Sentry calls only the event view makes.

- `GET organizations/{org}/issues/{id}/events/{event_id}/` (src/sentry/issues/endpoints/
  group_event_details.py): `event_id` is `latest`, `oldest`, `recommended` or an event id of
  that issue (looked up with the issue's id, so an event of another issue is a 404). The answer
  is wrapped by `wrap_event_response` (project_event_details.py), which adds `previousEventID`
  (the next older event) and `nextEventID` (the next newer one) of the same issue: stepping
  costs one request and needs no paging.
- `GET …/issues/{id}/events/` (group_events.py) pages the issue's events newest first
  (`orderby="-timestamp"`, GenericOffsetPaginator cursors, 90 days by default). Only a Sentry
  whose event answer lacks the neighbour ids is asked this, for the first page.
- `GET …/issues/{id}/tags/{key}/` (group_tagkey_details.py): `totalValues` (events with the
  tag), `uniqueValues` and `topValues` (`value`, `count`, …).
"""

from __future__ import annotations

import asyncio

from bot.core.errors import SentryNotFound
from bot.events.models import EventDetail, TagDetail
from bot.sentry.client import SentryClient

TAG_CONCURRENCY = 4
NEIGHBOUR_PAGE = 100


class EventApi:
    """Reads one issue's events and tag distributions."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client

    async def event(self, issue_id: str, which: str) -> EventDetail | None:
        """One event of the issue (`latest`, `oldest`, `recommended` or an id); None if absent."""
        path = self.client.org_path("issues", issue_id, "events", which)
        try:
            resp = await self.client.get(path)
        except SentryNotFound:
            return None
        return EventDetail.model_validate(resp.data) if isinstance(resp.data, dict) else None

    async def neighbours(self, issue_id: str, event_id: str) -> tuple[str | None, str | None, bool]:
        """(older, newer) event ids around `event_id` among the issue's newest events, and
        whether a missing one means there is none (False when the page did not tell)."""
        resp = await self.client.get(
            self.client.org_path("issues", issue_id, "events"),
            params={"per_page": NEIGHBOUR_PAGE},
        )
        rows = resp.data if isinstance(resp.data, list) else []
        ids = [str(r.get("eventID") or r.get("id") or "") for r in rows if isinstance(r, dict)]
        if event_id not in ids:
            return None, None, False
        at = ids.index(event_id)
        older = ids[at + 1] if at + 1 < len(ids) else None
        full_page = len(rows) >= NEIGHBOUR_PAGE
        return older, (ids[at - 1] if at > 0 else None), not (older is None and full_page)

    async def tags(self, issue_id: str, keys: list[str]) -> list[TagDetail]:
        """The distribution of each tag key, in the order asked; keys Sentry lacks are left out."""
        gate = asyncio.Semaphore(TAG_CONCURRENCY)

        async def one(key: str) -> TagDetail | None:
            async with gate:
                try:
                    resp = await self.client.get(
                        self.client.org_path("issues", issue_id, "tags", key)
                    )
                except SentryNotFound:
                    return None
            return TagDetail.model_validate(resp.data) if isinstance(resp.data, dict) else None

        found = await asyncio.gather(*(one(k) for k in keys))
        return [t for t in found if t is not None]

    def event_url(self, issue_id: str, event_id: str) -> str:
        """The event's page in Sentry."""
        org = self.client.org
        return f"{self.client.base_url}/organizations/{org}/issues/{issue_id}/events/{event_id}/"

    def tags_url(self, issue_id: str) -> str:
        """The issue's tags page in Sentry."""
        return f"{self.client.base_url}/organizations/{self.client.org}/issues/{issue_id}/tags/"
