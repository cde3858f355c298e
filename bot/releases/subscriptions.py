"""Channel subscriptions to a project's releases and deploys, kept in Redis."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from bot.core import clock
from bot.core.store import Store
from bot.releases.outbox import guarded


class ReleaseSubscription(BaseModel):
    """A channel that wants a project's new releases and deploys (deploys of `environment`).

    `team_id` is the workspace whose Sentry is polled and whose bot posts; subscriptions
    stored before it existed have "" and belong to the environment's workspace.
    """

    id: str
    channel: str
    project: str
    team_id: str = ""
    environment: str | None = None
    created_by: str = ""
    created_at: datetime

    def wants_deploy_to(self, environment: str) -> bool:
        """True when deploys to this environment should be announced."""
        return self.environment is None or self.environment == environment

    def describe(self) -> str:
        """`backend` or `backend in production`."""
        return self.project + (f" in {self.environment}" if self.environment else "")


class SubscriptionStore:
    """Subscriptions as one Redis hash: id → JSON."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._hash = store.key("release-subs")
        self._seq = store.key("release-subs", "seq")

    async def all(self) -> list[ReleaseSubscription]:
        """Every subscription, oldest first."""
        async with guarded():
            raw = await self.store.redis.hvals(self._hash)
        subs = [ReleaseSubscription.model_validate_json(r) for r in raw]
        return sorted(subs, key=lambda s: (s.created_at, s.id))

    async def get(self, sub_id: str) -> ReleaseSubscription | None:
        """One subscription by id."""
        async with guarded():
            raw = await self.store.redis.hget(self._hash, sub_id)
        return ReleaseSubscription.model_validate_json(raw) if raw else None

    async def for_channel(
        self, channel: str, *, team_id: str | None = None
    ) -> list[ReleaseSubscription]:
        """The channel's subscriptions (of one workspace, and those from before workspaces)."""
        return [
            s
            for s in await self.all()
            if s.channel == channel and (team_id is None or s.team_id in ("", team_id))
        ]

    async def add(
        self,
        channel: str,
        project: str,
        environment: str | None,
        *,
        user: str,
        team_id: str = "",
    ) -> tuple[ReleaseSubscription, bool]:
        """Subscribe the channel; returns (subscription, created) — an identical one is reused."""
        for sub in await self.for_channel(channel):
            if sub.project == project and sub.environment == environment and sub.team_id == team_id:
                return sub, False
        async with guarded():
            n = await self.store.redis.incr(self._seq)
        sub = ReleaseSubscription(
            id=f"r{n}",
            channel=channel,
            project=project,
            team_id=team_id,
            environment=environment,
            created_by=user,
            created_at=clock.now(),
        )
        async with guarded():
            await self.store.redis.hset(self._hash, sub.id, sub.model_dump_json())
        return sub, True

    async def remove(self, sub_id: str, channel: str) -> ReleaseSubscription | None:
        """Remove a subscription of this channel; None when the channel has no such id."""
        sub_id = sub_id.strip().lower()
        sub = await self.get(sub_id)
        if sub is None or sub.channel != channel:
            return None
        async with guarded():
            await self.store.redis.hdel(self._hash, sub_id)
        return sub
