"""Session replays of an issue: `replay-count/` and `replays/`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.errors import SentryBadRequest
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.models import Issue
from bot.sentry.scope import cache_key

log = logging.getLogger(__name__)

PERIOD = "90d"  # replays are kept for 90 days
COUNT_TTL = 300.0
RECENT = 5
LIST_FIELDS = [
    "id",
    "project_id",
    "started_at",
    "finished_at",
    "duration",
    "user",
    "browser",
    "os",
    "count_errors",
    "urls",
]


class ReplayUser(BaseModel):
    """The user a replay recorded, as far as Sentry knows them."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    username: str | None = None
    email: str | None = None
    ip: str | None = None
    display_name: str | None = None

    @property
    def label(self) -> str:
        """The most human way to name the user that Sentry knows."""
        return self.display_name or self.email or self.username or self.id or self.ip or "anonymous"


class NameVersion(BaseModel):
    """A browser or OS: name and version."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    version: str | None = None

    @property
    def label(self) -> str:
        """`Chrome 131.0`, or `–` when unknown."""
        return " ".join(p for p in (self.name, self.version) if p) or "–"


class Replay(BaseModel):
    """One replay as `organizations/{org}/replays/` lists it, plus its link in Sentry."""

    model_config = ConfigDict(extra="ignore")

    id: str
    project_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: int | None = None  # seconds
    user: ReplayUser = Field(default_factory=ReplayUser)
    browser: NameVersion = Field(default_factory=NameVersion)
    os: NameVersion = Field(default_factory=NameVersion)
    count_errors: int | None = None
    urls: list[str] = Field(default_factory=list)
    url: str = ""

    @field_validator("user", "browser", "os", mode="before")
    @classmethod
    def _none_obj(cls, v: object) -> object:
        return {} if v is None else v

    @field_validator("urls", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return [] if v is None else v


@dataclass(frozen=True, slots=True)
class ReplayPage:
    """One page of a replay search and the cursor of the next one (None on the last)."""

    replays: list[Replay]
    next_cursor: str | None


# Sort keys of `organizations/{org}/replays/`: the keys of `sort_config` in
# src/sentry/replays/usecases/query/configs/aggregate_sort.py (a leading `-` for descending).
SEARCH_SORTS = {"newest": "-started_at", "errors": "-count_errors", "duration": "-duration"}
SEARCH_PAGE = 10


@dataclass(frozen=True, slots=True)
class IssueReplays:
    """How many replays an issue has and the most recent ones."""

    count: int
    replays: list[Replay]


# `replay-count` has accepted `discover` (errors) and `search_issues` (the issue platform) in
# every version of src/sentry/replays/endpoints/organization_replay_count.py; the published
# schema lists `events` instead. A Sentry that refuses `discover` gets `events` from then on.
ERRORS_SOURCE = "discover"
ERRORS_FALLBACK = "events"


def data_source(issue: Issue) -> str:
    """`discover` for error issues, `search_issues` for the issue platform (performance etc.)."""
    category = (issue.issue_category or "error").lower()
    return ERRORS_SOURCE if category == "error" else "search_issues"


class ReplayService:
    """Counts and lists session replays; counts are cached briefly for issue cards."""

    def __init__(self, client: SentryClient, store: Store) -> None:
        self.client = client
        self.store = store
        self._fallback: set[tuple[str, str]] = set()  # (Sentry URL, org) refusing `discover`

    def replay_url(self, replay_id: str) -> str:
        """The replay's page in Sentry."""
        return f"{self.client.base_url}/organizations/{self.client.org}/replays/{replay_id}/"

    async def search(
        self,
        query: str,
        *,
        period: str,
        project_ids: list[str],
        sort: str = "newest",
        cursor: str | None = None,
        per_page: int = SEARCH_PAGE,
    ) -> ReplayPage:
        """One page of the organisation's replays matching Sentry's replay search syntax.

        src/sentry/replays/endpoints/organization_replay_index.py: `query` is parsed with the
        replay search config (a bad one is a 400 with Sentry's reason), `sort`/`statsPeriod`/
        `per_page`/`field` go through ReplayValidator, paging is the usual `Link` cursor.
        """
        params: dict[str, Any] = {
            "query": query or None,
            "statsPeriod": period,
            "sort": SEARCH_SORTS[sort],
            "per_page": per_page,
            "field": LIST_FIELDS,
            "project": project_ids or ["-1"],
            "cursor": cursor,
        }
        resp = await self.client.get(self.client.org_path("replays"), params=params)
        rows = resp.data.get("data") if isinstance(resp.data, dict) else None
        replays = [Replay.model_validate(r) for r in rows or [] if isinstance(r, dict)]
        replays = [r.model_copy(update={"url": self.replay_url(r.id)}) for r in replays]
        return ReplayPage(replays=replays, next_cursor=resp.next_cursor)

    async def _count_query(self, issue: Issue, *, return_ids: bool) -> dict[str, Any]:
        where = (self.client.base_url, self.client.org)
        source = data_source(issue)
        if source == ERRORS_SOURCE and where in self._fallback:
            source = ERRORS_FALLBACK
        params: dict[str, Any] = {
            "data_source": source,
            "query": f"issue.id:[{issue.id}]",
            "statsPeriod": PERIOD,
            "project": ["-1"],
        }
        if return_ids:
            params["returnIds"] = "true"
        path = self.client.org_path("replay-count")
        try:
            resp = await self.client.get(path, params=params)
        except SentryBadRequest:
            if source != ERRORS_SOURCE:
                raise
            resp = await self.client.get(path, params=params | {"data_source": ERRORS_FALLBACK})
            self._fallback.add(where)
            log.info("replay-count refuses data_source=%s; using %s", source, ERRORS_FALLBACK)
        return resp.data if isinstance(resp.data, dict) else {}

    async def count(self, issue: Issue) -> int:
        """How many replays the issue has (Sentry caps large counts)."""
        data = await self._count_query(issue, return_ids=False)
        value = data.get(str(issue.id), 0)
        return len(value) if isinstance(value, list) else int(value or 0)

    async def cached_count(self, issue: Issue) -> int:
        """`count()` cached in Redis for a few minutes (issue cards ask often)."""
        key = cache_key(self.store, self.client, "replay-count", issue.id)
        return int(await self.store.cached(key, COUNT_TTL, lambda: self.count(issue)))

    async def for_issue(self, issue: Issue, *, limit: int = RECENT) -> IssueReplays:
        """The count and the `limit` most recent replays of an issue."""
        # With returnIds Sentry lists the replay ids it would otherwise count, under the same
        # cap (src/sentry/replays/usecases/replay_counts.py): one query gives both.
        ids_data = await self._count_query(issue, return_ids=True)
        ids = ids_data.get(str(issue.id))
        replay_ids = [str(i) for i in ids] if isinstance(ids, list) else []
        count = len(replay_ids)
        if not replay_ids:
            return IssueReplays(count=count, replays=[])
        resp = await self.client.get(
            self.client.org_path("replays"),
            params={
                "query": f"id:[{','.join(replay_ids)}]",
                "statsPeriod": PERIOD,
                "sort": "-started_at",
                "per_page": limit,
                "field": LIST_FIELDS,
                "project": ["-1"],
            },
        )
        rows = resp.data.get("data") if isinstance(resp.data, dict) else None
        replays = [Replay.model_validate(r) for r in rows or [] if isinstance(r, dict)]
        replays = [r.model_copy(update={"url": self.replay_url(r.id)}) for r in replays]
        return IssueReplays(count=count, replays=replays[:limit])
