"""Saved Discover queries, per Slack workspace, in Redis; `run_saved` works without Slack."""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bot.core import clock, mrkdwn
from bot.core.errors import PermissionDenied, UserError
from bot.core.store import Store
from bot.discover.parse import DiscoverQuery, parse_discover
from bot.discover.sentry_api import PAGE_SIZE, DiscoverService, TablePage

MAX_SAVED = 200
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
SAVE_USAGE = "/dexter discover save <name> <fields> [where …] [sort …] [last …] [in …]"
NAME_RULE = "Names are 1–40 characters: letters, digits, `-`, `_` or `.`"


class SavedQuery(BaseModel):
    """A named query: its canonical text, who saved it and when."""

    name: str
    text: str
    owner: str
    created_at: datetime = Field(default_factory=clock.now)

    @property
    def query(self) -> DiscoverQuery:
        """The parsed query."""
        return parse_discover(self.text).query


@dataclass(frozen=True, slots=True)
class SavedRun:
    """One run of a saved query: the query and its first page of rows."""

    saved: SavedQuery
    query: DiscoverQuery
    page: TablePage


def clean_name(name: str) -> str:
    """The stored form of a name (lower case) or UserError with the naming rule."""
    low = name.strip().lower()
    if not NAME_RE.match(low):
        raise UserError(f"`{name[:60]}` is not a valid name. {NAME_RULE}.", usage=SAVE_USAGE)
    return low


class SavedQueries:
    """CRUD on saved queries; one Redis hash per workspace (team id)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _key(self, team_id: str) -> str:
        return self.store.key("saved-queries", team_id or "-")

    async def save(self, team_id: str, name: str, text: str, owner: str) -> SavedQuery:
        """Save (or, for its owner, replace) a query; the text must parse."""
        name = clean_name(name)
        query = parse_discover(text).query
        key = self._key(team_id)
        existing = await self.store.hash_get(key, name)
        if existing is not None and existing.get("owner") != owner:
            raise PermissionDenied(
                mrkdwn.format(
                    "`{name}` already exists and belongs to {owner}. Pick another name.",
                    name=name,
                    owner=mrkdwn.user(existing.get("owner")),
                )
            )
        if existing is None and len(await self.store.hash_all(key)) >= MAX_SAVED:
            raise UserError(f"This workspace has {MAX_SAVED} saved queries; delete some first.")
        saved = SavedQuery(name=name, text=query.to_text(), owner=owner)
        value = saved.model_dump(mode="json")
        if not await self.store.hash_set(key, name, value, only_new=existing is None):
            raise PermissionDenied(f"`{name}` was just saved by someone else. Pick another name.")
        return saved

    async def get(self, team_id: str, name: str) -> SavedQuery:
        """The saved query, or UserError naming close matches."""
        name = name.strip().lower()
        raw = await self.store.hash_get(self._key(team_id), name)
        if raw is None:
            names = [q.name for q in await self.list(team_id)]
            close = difflib.get_close_matches(name, names, n=3)
            hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
            raise UserError(
                f"No saved query `{name[:60]}`.{hint} `/dexter discover list` shows them all."
            )
        return SavedQuery.model_validate(raw)

    async def list(self, team_id: str) -> list[SavedQuery]:
        """Every saved query of the workspace, by name."""
        raw = await self.store.hash_all(self._key(team_id))
        return sorted((SavedQuery.model_validate(v) for v in raw.values()), key=lambda q: q.name)

    async def delete(self, team_id: str, name: str, user_id: str, *, is_admin: bool) -> SavedQuery:
        """Delete a query; only its owner or an admin may."""
        saved = await self.get(team_id, name)
        if saved.owner != user_id and not is_admin:
            raise PermissionDenied(
                mrkdwn.format(
                    "Only {owner} (who saved `{name}`) or an admin can delete it.",
                    owner=mrkdwn.user(saved.owner),
                    name=saved.name,
                )
            )
        await self.store.hash_delete(self._key(team_id), saved.name)
        return saved


async def run_saved(
    saved_queries: SavedQueries,
    discover: DiscoverService,
    team_id: str,
    name: str,
    *,
    cursor: str | None = None,
    per_page: int = PAGE_SIZE,
) -> SavedRun:
    """Run a saved query by name and return its first page (usable by digests, no Slack)."""
    saved = await saved_queries.get(team_id, name)
    query = saved.query
    page = await discover.table(query, cursor=cursor, per_page=per_page)
    return SavedRun(saved=saved, query=query, page=page)


DIGEST_ROWS = 10


def digest_rows(
    saved_queries: SavedQueries, discover: DiscoverService
) -> Callable[[str, str], Awaitable[list[dict[str, Any]]]]:
    """What digests show of a subscribed saved query: its first rows (built by the root)."""

    async def saved_rows(team_id: str, name: str) -> list[dict[str, Any]]:
        run = await run_saved(saved_queries, discover, team_id, name, per_page=DIGEST_ROWS)
        return run.page.rows

    return saved_rows
