"""Issues: search, detail, latest event, and updates."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from bot.core import messages
from bot.core.errors import SentryNotFound, StateUnavailable, UserError
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.models import Event, Issue
from bot.sentry.projects import ProjectService
from bot.sentry.refs import IssueRef
from bot.sentry.release_match import match_versions
from bot.sentry.scope import cache_key

PAGE_SIZE = 10
SORTS = ("date", "freq", "new", "user", "trends", "inbox")
SHORT_ID_TTL = 24 * 3600.0
BULK_BATCH = 100  # Sentry mutates at most 100 issues per request
BULK_CAP = 1000
RELEASE_TTL = 300.0


@dataclass(frozen=True, slots=True)
class IssueQuery:
    """A parsed `/dexter issues …` search."""

    query: str = "is:unresolved"
    sort: str = "date"
    projects: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IssuePage:
    issues: list[Issue]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class IssueDetail:
    issue: Issue
    event: Event | None


class IssueService:
    """Everything Dexter reads and changes on issues goes through here."""

    def __init__(self, client: SentryClient, projects: ProjectService, store: Store) -> None:
        self.client = client
        self.projects = projects
        self.store = store

    async def search(
        self, q: IssueQuery, *, cursor: str | None = None, limit: int = PAGE_SIZE
    ) -> IssuePage:
        """One page of issues matching the query, with 24h stats for sparklines."""
        if q.sort not in SORTS:
            raise UserError(f"Unknown sort `{q.sort}`. Use one of: {', '.join(SORTS)}.")
        check_inbox_sort(q)
        project_ids = await self.projects.ids_for(list(q.projects))
        resp = await self.client.get(
            self.client.org_path("issues"),
            params={
                "query": q.query,
                "sort": q.sort,
                "limit": limit,
                "groupStatsPeriod": "24h",
                "project": project_ids,
                "environment": list(q.environments),
                "cursor": cursor,
            },
        )
        return IssuePage(
            issues=[Issue.model_validate(i) for i in resp.data or []],
            next_cursor=resp.next_cursor,
        )

    def _check_org(self, ref: IssueRef) -> None:
        if ref.org and ref.org != self.client.org:
            raise UserError(
                f"That issue belongs to the `{ref.org}` organization; "
                f"Dexter is connected to `{self.client.org}`."
            )

    def _short_key(self, short_id: str) -> str:
        return cache_key(self.store, self.client, "shortid", short_id)

    async def path_id(self, ref: IssueRef) -> str:
        """What to put in `issues/{issue_id}/`: the numeric id when known, else the short id.

        Sentry's issue endpoints take a qualified short id in place of the id within an
        organisation (src/sentry/api/bases/group.py, `get_group_with_redirect`), so an issue
        named by short id needs no `shortids/` round trip first.
        """
        self._check_org(ref)
        if ref.issue_id:
            return ref.issue_id
        assert ref.short_id is not None
        with contextlib.suppress(StateUnavailable):
            known = await self.store.get_json(self._short_key(ref.short_id))
            if isinstance(known, str) and known:
                return known
        return ref.short_id

    async def remember_short_id(self, short_id: str, issue_id: str) -> None:
        """Cache short id → id (best effort) after reading an issue by its short id."""
        with contextlib.suppress(StateUnavailable):
            await self.store.set_json(self._short_key(short_id), issue_id, ttl=SHORT_ID_TTL)

    async def resolve_id(self, ref: IssueRef) -> str:
        """The numeric issue id for a ref (short ids are looked up once and cached)."""
        self._check_org(ref)
        if ref.issue_id:
            return ref.issue_id
        assert ref.short_id is not None
        key = self._short_key(ref.short_id)

        async def load() -> str:
            try:
                resp = await self.client.get(self.client.org_path("shortids", ref.short_id or ""))
            except SentryNotFound:
                raise SentryNotFound(f"No issue `{ref.short_id}` found.", status=404) from None
            return str(resp.data["groupId"])

        return await self.store.cached(key, SHORT_ID_TTL, load)

    async def get(self, issue_id: str) -> Issue:
        """The issue's detail (`issue_id` may be a short id, see `path_id`)."""
        try:
            resp = await self.client.get(self.client.org_path("issues", issue_id))
        except SentryNotFound:
            raise SentryNotFound(f"No issue `{issue_id}` found.", status=404) from None
        issue = Issue.model_validate(resp.data)
        if issue_id != issue.id and not issue_id.isdigit():
            await self.remember_short_id(issue_id, issue.id)
        return issue

    async def latest_event(self, issue_id: str) -> Event | None:
        """The latest event, or None when Sentry has none to show."""
        try:
            resp = await self.client.get(
                self.client.org_path("issues", issue_id, "events", "latest")
            )
        except SentryNotFound:
            return None
        return Event.model_validate(resp.data) if isinstance(resp.data, dict) else None

    async def detail(self, ref: IssueRef) -> IssueDetail:
        """Issue and latest event, fetched concurrently (by short id when that is all we have)."""
        key = await self.path_id(ref)
        issue, event = await asyncio.gather(self.get(key), self.latest_event(key))
        return IssueDetail(issue=issue, event=event)

    async def update(self, issue_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT a partial update on one issue; returns Sentry's answer."""
        resp = await self.client.put(self.client.org_path("issues", issue_id), json=body)
        return resp.data if isinstance(resp.data, dict) else {}

    async def comment(self, issue_id: str, text: str) -> dict[str, Any]:
        """Add a comment (a note) to the issue; returns Sentry's activity (`id`, `data.text`)."""
        # Not in the published schema; in Sentry's URL routes (src/sentry/api/urls.py:
        # `^(?P<issue_id>[^/]+)/(?:notes|comments)/$` → GroupNotesEndpoint under
        # organizations/{org}/issues/). The body is NoteSerializer: `text` (required),
        # `mentions` (optional); the same text by the same user within an hour is refused
        # with 400 (src/sentry/issues/endpoints/group_notes.py).
        resp = await self.client.post(
            self.client.org_path("issues", issue_id, "comments"), json={"text": text}
        )
        return resp.data if isinstance(resp.data, dict) else {}

    async def bulk_update(
        self, issue_ids: list[str], body: dict[str, Any], *, project_id: str
    ) -> bool:
        """PUT one change on up to 100 issues of one project; False when Sentry found none."""
        if not 0 < len(issue_ids) <= BULK_BATCH:
            raise ValueError(f"a bulk update takes 1 to {BULK_BATCH} issue ids")
        # Without `project` Sentry validates the body against every project the token sees
        # (a release missing in one, a team without access to another → 400) and looks the
        # ids up only there (src/sentry/api/helpers/group_index/update.py validate_request,
        # get_group_ids_and_group_list): one project per request, named.
        resp = await self.client.put(
            self.client.org_path("issues"),
            json=body,
            params={"id": list(issue_ids), "project": [project_id]},
        )
        # Sentry answers 204 when no issue matched the ids (deleted or merged meanwhile).
        return resp.status != 204

    async def project_release(self, project_id: str, version: str) -> list[str]:
        """The project's releases that `version` names (exact, else by short version)."""
        resp = await self.client.get(
            self.client.org_path("releases"),
            params={"project": [project_id], "query": version, "per_page": 25},
        )
        return match_versions(version, resp.data if isinstance(resp.data, list) else [])

    async def collect(self, q: IssueQuery, *, cap: int = BULK_CAP) -> IssueMatches:
        """Every issue matching a search, up to `cap`; `more` when there are further ones."""
        check_inbox_sort(q)
        project_ids = await self.projects.ids_for(list(q.projects))
        found: list[Issue] = []
        params: dict[str, Any] = {
            "query": q.query,
            "sort": q.sort,
            "limit": BULK_BATCH,
            "project": project_ids,
            "environment": list(q.environments),
            "collapse": ["stats"],
        }
        pages = -(-cap // BULK_BATCH) + 1
        has_next = False
        async for page in self.client.paginate(
            self.client.org_path("issues"), params=params, max_pages=pages
        ):
            found += [Issue.model_validate(i) for i in page.data or []]
            has_next = page.next_cursor is not None
            if len(found) > cap:
                break
        return IssueMatches(issues=found[:cap], more=len(found) > cap or has_next)

    async def latest_release(self, project_id: str, *, fresh: bool = False) -> str | None:
        """The version of the project's newest release, or None; cached unless `fresh`."""

        async def load() -> dict[str, str | None]:
            resp = await self.client.get(
                self.client.org_path("releases"), params={"project": [project_id], "per_page": 1}
            )
            rows = resp.data if isinstance(resp.data, list) else []
            return {"version": str(rows[0]["version"]) if rows else None}

        key = cache_key(self.store, self.client, "latest-release", project_id)
        if fresh:
            raw = await load()
            with contextlib.suppress(StateUnavailable):
                await self.store.set_json(key, raw, ttl=RELEASE_TTL)
        else:
            raw = await self.store.cached(key, RELEASE_TTL, load)
        return raw.get("version")


def check_inbox_sort(q: IssueQuery) -> None:
    """`sort:inbox` only works on the review queue: Sentry answers any other search with a
    400 (src/sentry/search/snuba/executors.py inbox_search: "Sort key 'inbox' only supported
    for inbox search", "Inbox search only works for 'unresolved' status")."""
    terms = q.query.lower().split()
    if q.sort == "inbox" and not {"is:for_review", "is:unresolved"} <= set(terms):
        raise UserError(messages.INBOX_NEEDS_REVIEW)


@dataclass(frozen=True, slots=True)
class IssueMatches:
    issues: list[Issue]
    more: bool
