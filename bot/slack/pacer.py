"""Pace Slack posts per channel (≈1 message per second) and honour Slack's 429 Retry-After.

Slack allows about one `chat.postMessage` per second per channel, with short bursts. When
many digests are due in the same minute, posts to one channel queue here instead of
tripping 429s: one post at a time per channel, the next no sooner than `interval` after the
previous one *finished* (so event-loop or network jitter cannot squeeze two arrivals into
one second). A 429 that still happens (another replica posted) pushes that channel back by
its Retry-After and the post is retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

MAX_429_RETRIES = 5


class ChannelPacer:
    """One slot per `interval` seconds per key (a channel, or `files` for uploads)."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.waited = 0.0
        self.throttled = 0  # 429s seen

    async def wait(self, key: str) -> None:
        """Wait for this key's next slot and take it."""
        while True:
            now = self._clock()
            due = self._next.get(key, 0.0)
            if due <= now:
                self._next[key] = now + self.interval
                self._prune(now)
                return
            self.waited += due - now
            await self._sleep(due - now)

    def push_back(self, key: str, seconds: float) -> None:
        """Hold this key for `seconds` (after a 429)."""
        self.throttled += 1
        self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)

    def _prune(self, now: float) -> None:
        if len(self._next) > 4096:
            for key in [k for k, v in self._next.items() if v < now - 60]:
                del self._next[key]
                lock = self._locks.get(key)
                if lock is not None and not lock.locked():
                    del self._locks[key]

    async def call(self, key: str, send: Callable[[], Awaitable[Any]]) -> Any:
        """Run `send` in this key's next slot, retrying on Slack 429 after Retry-After."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        for attempt in range(MAX_429_RETRIES + 1):
            async with lock:
                await self.wait(key)
                try:
                    return await send()
                except SlackApiError as exc:
                    if exc.response.status_code != 429 or attempt == MAX_429_RETRIES:
                        raise
                    delay = retry_after(exc)
                    log.info("slack rate limited %s, retrying in %.1fs", key, delay)
                    self.push_back(key, delay)
                finally:
                    finished = self._clock() + self.interval
                    self._next[key] = max(self._next.get(key, 0.0), finished)
        raise AssertionError("unreachable")  # pragma: no cover


def retry_after(exc: SlackApiError) -> float:
    """Seconds from a 429's Retry-After header (1 s when absent)."""
    headers = exc.response.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
