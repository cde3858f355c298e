"""Coalesce a burst of changes to one issue into a few card updates.

Every delivery marks the issue dirty. Whoever holds the issue's refresh lease (one job in
the whole fleet) refreshes its cards, waits `window` seconds and refreshes again while more
changes arrived meanwhile; the others only mark it dirty and finish at once. A burst of
fifty deliveries in a second costs two refreshes: the first at once, one after the window
with everything the burst changed. A change that lands while the lease is released is
caught by the re-check after the release, so none is lost.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from bot.core.current_job import current_job_id
from bot.core.store import Store

DEFAULT_WINDOW = 3.0  # seconds between two refreshes of one issue's cards
DIRTY_TTL = 3600

# Release the lease only if it is still ours (a lease that expired may be someone else's now).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class Coalescer:
    """At most one run of `work` per key every `window` seconds, whatever the burst."""

    def __init__(
        self,
        store: Store,
        *,
        window: float = DEFAULT_WINDOW,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.window = window
        self.sleep = sleep

    def _keys(self, key: str) -> tuple[str, str]:
        return self.store.key("coalesce", key, "dirty"), self.store.key("coalesce", key, "lease")

    async def run(self, key: str, work: Callable[[], Awaitable[None]]) -> int:
        """Mark `key` dirty and, if no one else is on it, run `work` until it stays clean.

        Returns how many times `work` ran here (0: another job will cover this change).
        """
        dirty, lease = self._keys(key)
        redis = self.store.redis
        await redis.set(dirty, "1", ex=DIRTY_TTL)
        me = current_job_id() or uuid.uuid4().hex
        lease_ms = int((self.window * 2 + 60) * 1000)
        runs = 0
        while True:
            taken = await redis.set(lease, me, nx=True, px=lease_ms)
            if not taken and _text(await redis.get(lease)) != me:
                return runs  # the holder re-checks `dirty` before it lets go
            try:
                while await redis.getdel(dirty):
                    await work()
                    runs += 1
                    await self.sleep(self.window)  # changes meanwhile wait for the next round
                    await redis.pexpire(lease, lease_ms)
            finally:
                await redis.eval(_RELEASE, 1, lease, me)
            if not await redis.exists(dirty):
                return runs


def _text(raw: bytes | str | None) -> str:
    return raw.decode() if isinstance(raw, bytes) else (raw or "")
