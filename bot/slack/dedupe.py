"""Once-only markers checked before the ack, coalesced into one Redis pipeline per loop tick.

Every Slack request is checked (replay guard, event retries) before Dexter answers Slack, so
this sits on the hot path. Under load many requests arrive together: their `SET NX` commands
go as one pipeline (bot/core/batching.py), one round trip and one connection instead of one
each. When Redis is unreachable or slow, it is skipped for a few seconds (acks must not be
late) and a bounded in-process memory answers instead: this replica still refuses what it
has seen. Across replicas, while Redis is down, a duplicate that lands on another replica
than the original is accepted (Slack's 5-minute signature window bounds replays).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time

from redis.exceptions import RedisError

from bot.core.batching import TickBatcher
from bot.core.store import Store

log = logging.getLogger(__name__)

TIMEOUT = 0.25  # never let Redis eat into Slack's 3 s ack budget
BREAKER_SECONDS = 5.0
MAX_BATCH = 500
LOCAL_MAX = 50_000  # keys this replica remembers itself (about 14 MB at most)


class LocalOnce:
    """Keys seen by this process, each until its ttl ends; the oldest go first when full."""

    def __init__(self, max_keys: int = LOCAL_MAX) -> None:
        self.max_keys = max_keys
        # keyed by the key's hash: a 64-bit collision among 50,000 keys is negligible
        self._expiry: collections.OrderedDict[int, float] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def first_time(self, key: str, ttl: float, now: float) -> bool:
        """True unless key was seen within its ttl; remembers it either way."""
        h = hash(key)
        seen = self._expiry.get(h)
        if seen is not None and seen > now:
            return False
        self._expiry[h] = now + ttl
        self._expiry.move_to_end(h)
        while len(self._expiry) > self.max_keys:
            self._expiry.popitem(last=False)
        while self._expiry:  # drop what has expired at the old end (cheap, amortised)
            oldest, until = next(iter(self._expiry.items()))
            if until > now or oldest == h:
                break
            del self._expiry[oldest]
        return True


class OnceChecker:
    """`first_time(key, ttl)` like Store.first_time, batched, bounded in time; while Redis
    cannot answer, this replica's own memory does."""

    def __init__(self, store: Store, *, local_max: int = LOCAL_MAX) -> None:
        self.store = store
        self.open_until = 0.0
        self.local = LocalOnce(local_max)
        self._batcher = TickBatcher(self._set_nx, max_batch=MAX_BATCH)

    async def first_time(self, key: str, ttl: float) -> bool:
        """True the first time key is seen within ttl seconds, by Redis or by this replica."""
        now = time.monotonic()
        if not self.local.first_time(key, ttl, now):
            return False  # this replica saw it: no need to ask Redis
        if now < self.open_until:
            return True
        return await self._batcher.submit((key, int(ttl * 1000)))

    async def _set_nx(self, batch: list[tuple[str, int]]) -> list[bool]:
        pipe = self.store.redis.pipeline(transaction=False)
        for key, ttl_ms in batch:
            pipe.set(key, "1", nx=True, px=ttl_ms)
        try:
            # one timer per batch, not one per request: timers are costly under load
            async with asyncio.timeout(TIMEOUT):
                return [bool(ok) for ok in await pipe.execute()]
        except TimeoutError:
            self._trip("slow")
        except (RedisError, OSError):
            self._trip("unavailable")
        return [True] * len(batch)

    def _trip(self, why: str) -> None:
        if time.monotonic() >= self.open_until:
            log.warning(
                "redis %s before ack; duplicates checked on this replica only for %ss",
                why,
                BREAKER_SECONDS,
            )
        self.open_until = time.monotonic() + BREAKER_SECONDS
