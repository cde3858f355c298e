"""The state store against a real Redis server (REDIS_URL, or the embedded one)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.core.errors import StateUnavailable
from bot.core.settings import ConfigError
from bot.core.store import Store


async def test_json_roundtrip_and_ttl(store: Store) -> None:
    key = store.key("t", "a")
    await store.set_json(key, {"x": [1, "ü"]}, ttl=0.2)
    assert await store.get_json(key) == {"x": [1, "ü"]}
    await asyncio.sleep(0.3)  # what is tested: Redis expires the key after its 0.2 s TTL
    assert await store.get_json(key) is None


async def test_cached_loads_once(store: Store) -> None:
    calls = 0

    async def load() -> list[str]:
        nonlocal calls
        calls += 1
        return ["a", "b"]

    key = store.key("cache", "x")
    assert await store.cached(key, 60, load) == ["a", "b"]
    assert await store.cached(key, 60, load) == ["a", "b"]
    assert calls == 1 and store.cache_hits == 1 and store.cache_misses == 1


async def test_first_time_is_exactly_once_under_concurrency(store: Store) -> None:
    key = store.key("dedupe", "evt1")
    results = await asyncio.gather(*(store.first_time(key, ttl=5) for _ in range(20)))
    assert results.count(True) == 1


async def test_lock_excludes(store: Store) -> None:
    async with store.lock("job", ttl=5) as first, store.lock("job", ttl=5) as second:
        assert first and not second
    async with store.lock("job", ttl=5) as again:
        assert again


async def test_unreachable_redis_is_state_unavailable() -> None:
    st = await Store.connect("redis://127.0.0.1:1/0", Path("/tmp"))
    with pytest.raises(StateUnavailable):
        await st.get_json("k")

    async def load() -> int:
        return 7

    assert await st.cached("k", 10, load) == 7  # reads still work without the cache
    await st.redis.aclose()


async def test_embedded_server_persists_across_restart(tmp_path: Path) -> None:
    st = await Store.connect(None, tmp_path)
    await st.set_json("dexter:persist", {"v": 1})
    await st.close()
    st2 = await Store.connect(None, tmp_path)
    try:
        assert await st2.get_json("dexter:persist") == {"v": 1}
    finally:
        await st2.close()
    assert (tmp_path / "dexter.rdb").exists()


async def test_concurrent_misses_load_once(store: Store) -> None:
    calls = 0

    async def slow_load() -> dict[str, int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)  # what is tested: the other 29 misses come while it loads
        return {"n": 1}

    key = store.key("cache", "burst")
    got = await asyncio.gather(*(store.cached(key, 60, slow_load) for _ in range(30)))
    assert got == [{"n": 1}] * 30 and calls == 1


async def test_a_failed_load_is_shared_then_retried(store: Store) -> None:
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)  # the other callers come while it loads
        raise RuntimeError("sentry down")

    key = store.key("cache", "fails")
    results = await asyncio.gather(
        *(store.cached(key, 60, failing) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results) and calls == 1
    with pytest.raises(RuntimeError):
        await store.cached(key, 60, failing)
    assert calls == 2


async def test_every_key_starts_with_the_configured_prefix() -> None:
    from tests.settings_factory import make_settings

    settings = make_settings(DEXTER_REDIS_PREFIX="blue:")
    st = await Store.connect("redis://127.0.0.1:1/0", Path("/tmp"), prefix=settings.redis_prefix)
    try:
        assert st.key("pipeline", "jobs") == "blue:pipeline:jobs"
    finally:
        await st.redis.aclose()
    assert make_settings().redis_prefix == "dexter:"
    with pytest.raises(ConfigError) as refused:
        make_settings(DEXTER_REDIS_PREFIX="two words")
    assert "DEXTER_REDIS_PREFIX" in str(refused.value)
