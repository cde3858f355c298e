"""The pre-ack once-only check: Redis first, this replica's own memory while Redis is down."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.core.store import Store
from bot.slack.dedupe import LocalOnce, OnceChecker


def dead_store() -> Store:
    """A store whose Redis refuses every connection (nothing listens on port 1)."""
    return Store(aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))


async def test_a_duplicate_is_refused_while_redis_is_down() -> None:
    store = dead_store()
    try:
        once = OnceChecker(store)
        assert await once.first_time("seen:abc", 360) is True
        assert await once.first_time("seen:abc", 360) is False  # the replay
        assert await once.first_time("seen:def", 360) is True
        assert once.open_until > 0  # Redis is skipped for a while: no late acks
        assert await once.first_time("seen:def", 360) is False
    finally:
        await store.redis.aclose()


async def test_what_redis_saw_before_the_outage_is_still_refused(store: Store) -> None:
    once = OnceChecker(store)
    assert await once.first_time(store.key("seen", "x1"), 360) is True  # through Redis
    dead = dead_store()
    once.store = dead  # Redis goes away
    try:
        assert await once.first_time(store.key("seen", "x1"), 360) is False
    finally:
        await dead.redis.aclose()


async def test_another_replica_is_refused_through_redis(store: Store) -> None:
    first, second = OnceChecker(store), OnceChecker(store)
    assert await first.first_time(store.key("seen", "r1"), 360) is True
    assert await second.first_time(store.key("seen", "r1"), 360) is False


def test_the_memory_is_bounded_and_forgets_expired_keys() -> None:
    local = LocalOnce(max_keys=3)
    for n in range(10):
        assert local.first_time(f"k{n}", 60, now=0.0)
    assert len(local) == 3  # the oldest went first
    assert not local.first_time("k9", 60, now=1.0)
    assert local.first_time("k0", 60, now=1.0)  # evicted: accepted again
    assert local.first_time("k9", 60, now=61.0)  # expired: accepted again
    assert len(local) <= 3
