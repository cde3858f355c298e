"""Once-only markers checked before the ack, coalesced into one Redis pipeline per loop tick.

Every Slack request is checked (replay guard, event retries) before Dexter answers Slack, so
this sits on the hot path. Under load many requests arrive together: sending their
`SET NX` commands as one pipeline costs one round trip and one connection instead of one
each. When Redis is unreachable or slow, the check fails open for a few seconds: Slack's
signature still holds, and a rare duplicate beats a lost request.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import RedisError

from bot.store import Store

log = logging.getLogger(__name__)

TIMEOUT = 0.25  # never let Redis eat into Slack's 3 s ack budget
BREAKER_SECONDS = 5.0
MAX_BATCH = 500


class OnceChecker:
    """`first_time(key, ttl)` like Store.first_time, batched, bounded in time, failing open."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.open_until = 0.0
        self._pending: list[tuple[str, int, asyncio.Future[bool]]] = []
        self._flushing = False
        self._task: asyncio.Task[None] | None = None

    async def first_time(self, key: str, ttl: float) -> bool:
        """True the first time key is seen within ttl seconds (or when Redis cannot say)."""
        if time.monotonic() < self.open_until:
            return True
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((key, int(ttl * 1000), future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        self._task = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            pipe = self.store.redis.pipeline(transaction=False)
            for key, ttl_ms, _ in batch:
                pipe.set(key, "1", nx=True, px=ttl_ms)
            try:
                # one timer per batch, not one per request: timers are costly under load
                async with asyncio.timeout(TIMEOUT):
                    results = await pipe.execute()
            except TimeoutError:
                self._trip("slow")
                results = [True] * len(batch)
            except (RedisError, OSError):
                self._trip("unavailable")
                results = [True] * len(batch)
            for (_, _, future), ok in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(bool(ok))
        self._flushing = False

    def _trip(self, why: str) -> None:
        if time.monotonic() >= self.open_until:
            log.warning(
                "redis %s before ack; duplicate checks skipped for %ss", why, BREAKER_SECONDS
            )
        self.open_until = time.monotonic() + BREAKER_SECONDS
