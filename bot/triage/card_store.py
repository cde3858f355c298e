"""Where Dexter has shown an issue (so every card can be refreshed) and who changed it last.

Per issue, a Redis sorted set holds the cards Dexter posted (channel + ts) and the links it
unfurled (channel + ts + url), newest last, capped and expiring; a reverse key maps a
posted message back to its issue. The latest change made through Dexter is kept beside it
for the card's "Resolved by @ann · 2m ago" line.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from pydantic import BaseModel
from redis.exceptions import RedisError

from bot.core import clock
from bot.core.errors import StateUnavailable
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.scope import cache_key

CARD_TTL = 14 * 24 * 3600  # a card older than two weeks is no longer refreshed
MAX_CARDS_PER_ISSUE = 25
ACTIVITY_TTL = 30 * 24 * 3600


class CardRef(BaseModel):
    """A message Dexter posted (`url` is None) or a link it unfurled in someone's message."""

    channel: str
    ts: str
    url: str | None = None

    @property
    def is_unfurl(self) -> bool:
        return self.url is not None

    def member(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True)


class Activity(BaseModel):
    """The latest change made through Dexter: `Resolved in the next release` by a Slack user."""

    text: str
    slack_user_id: str
    at: datetime


class CardStore:
    """The card registry and the activity line, on Redis, per Sentry organisation."""

    def __init__(self, store: Store, client: SentryClient) -> None:
        self.store = store
        self.client = client  # issue ids repeat across Sentry servers: keys carry its identity

    def _cards_key(self, issue_id: str) -> str:
        return cache_key(self.store, self.client, "cards", issue_id)

    def _message_key(self, channel: str, ts: str) -> str:
        return self.store.key("card-msg", channel, ts)

    def _activity_key(self, issue_id: str) -> str:
        return cache_key(self.store, self.client, "activity", issue_id)

    async def add(self, issue_id: str, ref: CardRef) -> None:
        """Remember a card or unfurl (keeps the newest few per issue)."""
        key = self._cards_key(issue_id)
        async with _guard():
            pipe = self.store.redis.pipeline(transaction=False)
            pipe.zadd(key, {ref.member(): clock.now().timestamp()})
            pipe.zremrangebyrank(key, 0, -(MAX_CARDS_PER_ISSUE + 1))
            pipe.expire(key, CARD_TTL)
            if not ref.is_unfurl:
                pipe.set(self._message_key(ref.channel, ref.ts), issue_id, ex=CARD_TTL)
            await pipe.execute()

    async def cards(self, issue_id: str) -> list[CardRef]:
        """Every remembered card of an issue, oldest first."""
        async with _guard():
            raw = await self.store.redis.zrange(self._cards_key(issue_id), 0, -1)
        out: list[CardRef] = []
        for item in raw:
            if not isinstance(item, bytes | str):
                continue
            try:
                out.append(CardRef.model_validate_json(item))
            except ValueError:
                continue
        return out

    async def remove(self, issue_id: str, ref: CardRef) -> None:
        """Forget a card (deleted message, archived channel)."""
        async with _guard():
            await self.store.redis.zrem(self._cards_key(issue_id), ref.member())
            if not ref.is_unfurl:
                await self.store.redis.delete(self._message_key(ref.channel, ref.ts))

    async def issue_of(self, channel: str, ts: str) -> str | None:
        """The issue a Dexter card message shows, if it is one."""
        async with _guard():
            raw = await self.store.redis.get(self._message_key(channel, ts))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def with_cards(self, issue_ids: list[str]) -> list[str]:
        """The subset of issue ids that have remembered cards."""
        if not issue_ids:
            return []
        async with _guard():
            pipe = self.store.redis.pipeline(transaction=False)
            for issue_id in issue_ids:
                pipe.exists(self._cards_key(issue_id))
            found = await pipe.execute()
        return [i for i, n in zip(issue_ids, found, strict=True) if n]

    async def record(self, issue_ids: list[str], activity: Activity) -> None:
        """Remember the latest change on these issues."""
        raw = activity.model_dump_json()
        async with _guard():
            pipe = self.store.redis.pipeline(transaction=False)
            for issue_id in issue_ids:
                pipe.set(self._activity_key(issue_id), raw, ex=ACTIVITY_TTL)
            await pipe.execute()

    async def activity(self, issue_id: str) -> Activity | None:
        """The latest change made through Dexter, if any."""
        async with _guard():
            raw = await self.store.redis.get(self._activity_key(issue_id))
        return Activity.model_validate_json(raw) if raw else None


@asynccontextmanager
async def _guard() -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StateUnavailable("Dexter's state store (Redis) is unavailable") from exc
