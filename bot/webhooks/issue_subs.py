"""Channel subscriptions to a project's new issues (`/dexter subscribe issues`), in Redis.

A new issue (Sentry's `issue.created` webhook) is posted as a card in every channel whose
subscription matches it: its project, and its search when one is given (Sentry decides the
match, see bot/webhooks/issue_sync.py).
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel

from bot.core import clock
from bot.core.errors import UserError
from bot.core.parse import split_args
from bot.core.store import Store
from bot.releases.outbox import guarded


class IssueSubscription(BaseModel):
    """A channel that wants a card for each new issue of `project` matching `query`."""

    id: str
    channel: str
    project: str
    team_id: str = ""
    query: str | None = None
    created_by: str = ""
    created_at: datetime

    def describe(self) -> str:
        """`backend` or `backend matching level:error`."""
        return self.project + (f" matching {self.query}" if self.query else "")


class IssueSubscriptions:
    """Subscriptions as one Redis hash: id → JSON (ids `i1`, `i2`, …)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._hash = store.key("issue-subs")
        self._seq = store.key("issue-subs", "seq")

    async def all(self) -> list[IssueSubscription]:
        """Every subscription, oldest first."""
        async with guarded():
            raw = await self.store.redis.hvals(self._hash)
        subs = [IssueSubscription.model_validate_json(r) for r in raw]
        return sorted(subs, key=lambda s: (s.created_at, s.id))

    async def get(self, sub_id: str) -> IssueSubscription | None:
        """One subscription by id."""
        async with guarded():
            raw = await self.store.redis.hget(self._hash, sub_id)
        return IssueSubscription.model_validate_json(raw) if raw else None

    async def for_channel(
        self, channel: str, *, team_id: str | None = None
    ) -> list[IssueSubscription]:
        """The channel's subscriptions (of one workspace)."""
        return [
            s
            for s in await self.all()
            if s.channel == channel and (team_id is None or s.team_id in ("", team_id))
        ]

    async def for_project(self, project: str, *, team_id: str) -> list[IssueSubscription]:
        """Subscriptions to a project's issues; team "" (one workspace) means every one."""
        return [
            s
            for s in await self.all()
            if s.project == project and (not team_id or s.team_id in ("", team_id))
        ]

    async def add(
        self, channel: str, project: str, query: str | None, *, user: str, team_id: str = ""
    ) -> tuple[IssueSubscription, bool]:
        """Subscribe the channel; returns (subscription, created) — an identical one is reused."""
        for sub in await self.for_channel(channel):
            if (sub.project, sub.query, sub.team_id) == (project, query, team_id):
                return sub, False
        async with guarded():
            n = await self.store.redis.incr(self._seq)
        sub = IssueSubscription(
            id=f"i{n}",
            channel=channel,
            project=project,
            team_id=team_id,
            query=query,
            created_by=user,
            created_at=clock.now(),
        )
        async with guarded():
            await self.store.redis.hset(self._hash, sub.id, sub.model_dump_json())
        return sub, True

    async def remove(self, sub_id: str, channel: str) -> IssueSubscription | None:
        """Remove a subscription of this channel; None when the channel has no such id."""
        sub = await self.get(sub_id.strip().lower())
        if sub is None or sub.channel != channel:
            return None
        async with guarded():
            await self.store.redis.hdel(self._hash, sub.id)
        return sub


SUBSCRIBE_ISSUES_USAGE = "/dexter subscribe issues project:<slug> [query:<search>]"
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


def parse_subscribe_issues(text: str) -> tuple[str, str | None]:
    """`project:<slug> [query:<search>]` → (slug, search or None); the search runs to the end."""
    head, sep, query = text.partition("query:")
    words = split_args(head)
    if len(words) != 1 or not words[0].lower().startswith("project:"):
        raise UserError("Which project?", usage=SUBSCRIBE_ISSUES_USAGE)
    slug = words[0].split(":", 1)[1].strip().lower()
    if not _PROJECT.match(slug):
        raise UserError("That is not a project slug.", usage=SUBSCRIBE_ISSUES_USAGE)
    search = query.strip()
    if len(search) >= 2 and search[0] == search[-1] and search[0] in "'\"":
        search = search[1:-1].strip()  # the whole search quoted: Sentry's quotes stay inside
    if sep and not search:
        raise UserError("The search after `query:` is empty.", usage=SUBSCRIBE_ISSUES_USAGE)
    if len(search) > 500:
        raise UserError("That search is too long (500 characters at most).")
    return slug, search or None
