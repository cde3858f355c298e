"""Digest subscriptions, their delivery state, and the per-fire claims that make a digest
go out exactly once across replicas. All in Redis:

- `digest:subs`     hash id → subscription JSON
- `digest:state`    hash id → delivery state JSON (last scheduled time handled, …)
- `digest:version`  counter bumped on every change (replicas resync when it moves)
- `digest:done:<id>:<epoch>`   marker written once a scheduled fire was handled
- `lock:digest:<id>:<epoch>`   lease held by the replica sending that fire
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.core import clock
from bot.core.errors import StateUnavailable, UserError
from bot.core.store import Store
from bot.digests.parse import Target
from bot.digests.schedule import Schedule

log = logging.getLogger(__name__)

MAX_PER_CHANNEL = 25
DONE_TTL = 8 * 24 * 3600.0
Status = Literal["sent", "failed", "skipped"]


class Subscription(BaseModel):
    """A channel's digest: what, when, and who owns it."""

    id: str
    team_id: str
    channel_id: str
    owner_id: str
    target: Target
    schedule: Schedule
    created_at: datetime
    enabled: bool = True
    disabled_reason: str | None = None


class DeliveryState(BaseModel):
    """What happened to a subscription's fires so far."""

    last_fire: datetime | None = None  # scheduled time last handled (sent, failed or skipped)
    last_status: Status | None = None
    period_end: datetime | None = None  # end of the period the last sent digest covered
    last_error: str | None = None


def epoch(when: datetime) -> str:
    """A scheduled time as whole epoch seconds (claim and marker keys)."""
    return str(int(when.timestamp()))


@contextlib.asynccontextmanager
async def _guard() -> AsyncIterator[None]:
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise StateUnavailable("Dexter's state store (Redis) is unavailable") from exc


class DigestStore:
    """CRUD for subscriptions plus delivery state and fire claims."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.subs_key = store.key("digest", "subs")
        self.state_key = store.key("digest", "state")
        self.version_key = store.key("digest", "version")

    async def version(self) -> int:
        """The change counter (0 before the first subscription)."""
        async with _guard():
            raw = await self.redis.get(self.version_key)
        return int(raw or 0)

    async def _bump(self) -> None:
        async with _guard():
            await self.redis.incr(self.version_key)

    async def create(
        self,
        *,
        team_id: str,
        channel_id: str,
        owner_id: str,
        target: Target,
        schedule: Schedule,
        created_at: datetime | None = None,
    ) -> Subscription:
        """Store a new subscription; refuses an exact duplicate or a crowded channel."""
        here = await self.for_channel(team_id, channel_id)
        for sub in here:
            if sub.enabled and sub.target == target and sub.schedule == schedule:
                raise UserError(f"This channel already has that digest (`{sub.id}`).")
        if len([s for s in here if s.enabled]) >= MAX_PER_CHANNEL:
            raise UserError(
                f"This channel has {MAX_PER_CHANNEL} digests already; unsubscribe one first."
            )
        while True:
            sub = Subscription(
                id=secrets.token_hex(3),
                team_id=team_id,
                channel_id=channel_id,
                owner_id=owner_id,
                target=target,
                schedule=schedule,
                created_at=created_at or clock.now(),
            )
            async with _guard():
                if await self.redis.hsetnx(self.subs_key, sub.id, sub.model_dump_json()):
                    break
        await self._bump()
        log.info("digest %s created for %s by %s", sub.id, channel_id, owner_id)
        return sub

    async def save(self, sub: Subscription) -> None:
        """Overwrite a subscription (enable/disable)."""
        async with _guard():
            await self.redis.hset(self.subs_key, sub.id, sub.model_dump_json())
        await self._bump()

    async def get(self, sub_id: str) -> Subscription | None:
        """One subscription by id."""
        async with _guard():
            raw = await self.redis.hget(self.subs_key, sub_id.strip().lower())
        return Subscription.model_validate_json(raw) if raw else None

    async def all(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        async with _guard():
            raw = await self.redis.hgetall(self.subs_key)
        subs = []
        for sub_id, value in raw.items():
            try:
                subs.append(Subscription.model_validate_json(value))
            except ValueError:
                log.warning("ignoring unreadable digest subscription %r", sub_id)
        return sorted(subs, key=lambda s: s.created_at)

    async def for_channel(self, team_id: str, channel_id: str) -> list[Subscription]:
        """Subscriptions posting into one channel."""
        return [s for s in await self.all() if (s.team_id, s.channel_id) == (team_id, channel_id)]

    async def owned_by(self, team_id: str, user_id: str) -> list[Subscription]:
        """Subscriptions a Slack user owns."""
        return [s for s in await self.all() if (s.team_id, s.owner_id) == (team_id, user_id)]

    async def delete(self, sub_id: str) -> bool:
        """Remove a subscription and its state; True when it existed."""
        async with _guard():
            removed = await self.redis.hdel(self.subs_key, sub_id)
            await self.redis.hdel(self.state_key, sub_id)
        if removed:
            await self._bump()
        return bool(removed)

    async def disable_channel(
        self, team_id: str, channel_id: str, reason: str
    ) -> list[Subscription]:
        """Disable every enabled subscription of a channel; returns those it disabled."""
        changed = []
        for sub in await self.for_channel(team_id, channel_id):
            if sub.enabled:
                sub = sub.model_copy(update={"enabled": False, "disabled_reason": reason})
                async with _guard():
                    await self.redis.hset(self.subs_key, sub.id, sub.model_dump_json())
                changed.append(sub)
        if changed:
            await self._bump()
        return changed

    async def state(self, sub_id: str) -> DeliveryState:
        """The delivery state of one subscription."""
        async with _guard():
            raw = await self.redis.hget(self.state_key, sub_id)
        return DeliveryState.model_validate_json(raw) if raw else DeliveryState()

    async def states(self) -> dict[str, DeliveryState]:
        """Every subscription's delivery state."""
        async with _guard():
            raw = await self.redis.hgetall(self.state_key)
        out = {}
        for key, value in raw.items():
            with contextlib.suppress(ValueError):
                out[key.decode() if isinstance(key, bytes) else str(key)] = (
                    DeliveryState.model_validate_json(value)
                )
        return out

    async def record(
        self,
        sub_id: str,
        *,
        scheduled: datetime | None,
        status: Status,
        period_end: datetime | None = None,
        error: str | None = None,
    ) -> DeliveryState:
        """Record a handled fire (never moving `last_fire` backwards)."""
        state = await self.state(sub_id)
        update: dict[str, object] = {"last_status": status, "last_error": error}
        if scheduled is not None and (state.last_fire is None or scheduled > state.last_fire):
            update["last_fire"] = scheduled
        if period_end is not None and (state.period_end is None or period_end > state.period_end):
            update["period_end"] = period_end
        state = state.model_copy(update=update)
        async with _guard():
            if await self.redis.hexists(self.subs_key, sub_id):
                await self.redis.hset(self.state_key, sub_id, state.model_dump_json())
        return state

    def _done_key(self, sub_id: str, scheduled: datetime) -> str:
        return self.store.key("digest", "done", sub_id, epoch(scheduled))

    async def is_done(self, sub_id: str, scheduled: datetime) -> bool:
        """True once this scheduled fire was handled by some replica."""
        async with _guard():
            return bool(await self.redis.exists(self._done_key(sub_id, scheduled)))

    async def mark_done(self, sub_id: str, scheduled: datetime) -> None:
        """Mark a scheduled fire handled (before its claim is released)."""
        async with _guard():
            await self.redis.set(self._done_key(sub_id, scheduled), "1", ex=int(DONE_TTL))

    async def try_claim(self, sub_id: str, scheduled: datetime, *, lease: float) -> Claim | None:
        """Take the lease for one fire, or None when another replica holds it.

        The holder renews the lease while sending (Claim.renew); a replica that dies stops
        renewing, the lease runs out, and another replica's catch-up takes the fire over."""
        name = self.store.key("lock", "digest", sub_id, epoch(scheduled))
        lock = self.redis.lock(name, timeout=lease)
        async with _guard():
            got = await lock.acquire(blocking=False)
        return Claim(lock) if got else None


class Claim:
    """A held fire lease."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    async def renew(self) -> bool:
        """Reset the lease to its full length; False when it was lost."""
        try:
            await self._lock.reacquire()
        except (RedisError, OSError):
            return False
        return True

    async def release(self) -> None:
        """Give the lease back (ignoring one that already ran out)."""
        with contextlib.suppress(RedisError, OSError):
            await self._lock.release()
