"""Bulk triage: preview the issues a search matches, then change exactly those, in batches.

The preview captures the issue ids under a random token in Redis; Confirm carries only the
token, so what runs is what the user saw, however the search results move meanwhile.
Batches hold the issues of one project and name it: Sentry validates a bulk change against
every project of the request (src/sentry/api/helpers/group_index/update.py).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace

from pydantic import BaseModel, Field

from bot.core import messages
from bot.core.errors import PermissionDenied, SentryError, UserError
from bot.core.store import Store
from bot.sentry import deadline
from bot.sentry.issues import BULK_BATCH, BULK_CAP, IssueQuery
from bot.sentry.models import ProjectRef
from bot.triage.parse import Change, Resolve, Unresolve, to_body
from bot.triage.service import Actor, TriageService
from bot.triage.wording import describe

log = logging.getLogger(__name__)

BULK_TTL = 15 * 60.0  # how long a preview can be confirmed
PREVIEW_TITLES = 5
STOP_AFTER_FAILURES = 2  # consecutive failed batches: Sentry is likely down, stop there

Progress = Callable[[int, int], Awaitable[None]]
# A search term that names a status (or a substatus, which implies one): `is:ignored`,
# `!is:resolved`, `status:…`.
_STATUS_TERM = re.compile(
    r"(^|\s)!?(is:(un)?resolved|is:ignored|is:archived|is:muted|is:regressed|is:escalating"
    r"|is:new|is:ongoing|is:reprocessing|status:\S+|substatus:\S+)(\s|$)",
    re.IGNORECASE,
)


def with_status(query: str, change: Change) -> tuple[str, bool]:
    """The search with `is:unresolved` added when it names no status (as `issues` lists
    unresolved issues by default), and whether it was added; `unresolve` adds nothing."""
    if isinstance(change, Unresolve) or _STATUS_TERM.search(query):
        return query, False
    return f"is:unresolved {query}".strip(), True


class BulkItem(BaseModel):
    id: str
    short_id: str
    project: str
    project_id: str = ""  # plans stored before project ids were kept look it up
    title: str = ""


class BulkPlan(BaseModel):
    """A confirmed-to-be change: who asked, what, and exactly which issues."""

    token: str
    team_id: str
    user_id: str
    change: Change
    query: str
    items: list[BulkItem]
    implied_status: bool = False  # `is:unresolved` was added to the search
    versions: dict[str, str] = Field(default_factory=dict)  # `resolve in`: project id → version

    @property
    def projects(self) -> list[str]:
        return sorted({i.project for i in self.items})


class BulkFailure(BaseModel):
    items: list[BulkItem]
    reason: str


class BulkReport(BaseModel):
    """What a run changed, what Sentry refused (with why) and what was not attempted."""

    what: str
    changed: list[BulkItem] = Field(default_factory=list)
    failures: list[BulkFailure] = Field(default_factory=list)
    skipped: list[BulkItem] = Field(default_factory=list)

    @property
    def failed(self) -> list[BulkItem]:
        return [i for f in self.failures for i in f.items]

    @property
    def total(self) -> int:
        return len(self.changed) + len(self.failed) + len(self.skipped)


class BulkService:
    """Preview, store, claim and run bulk changes."""

    def __init__(self, triage: TriageService, store: Store) -> None:
        self.triage = triage
        self.store = store

    def _key(self, token: str) -> str:
        return self.store.key("bulk", token)

    async def preview(
        self, actor: Actor, change: Change, search: IssueQuery, *, query_text: str
    ) -> BulkPlan:
        """Find the matching issues, check the policy for each project, store the plan."""
        ident = await self.triage.identity.require(actor.team_id, actor.slack_user_id)
        query, implied = with_status(search.query, change)
        matches = await self.triage.issues.collect(replace(search, query=query), cap=BULK_CAP)
        shown = f"is:unresolved {query_text}" if implied else query_text
        if matches.more:
            raise UserError(messages.BULK_TOO_MANY.format(cap=BULK_CAP, query=shown))
        if not matches.issues:
            raise UserError(messages.BULK_NONE.format(query=shown))
        projects = {i.project.slug: i.project for i in matches.issues}
        for slug in sorted(projects):
            decision = await self.triage.policy.decide(ident, slug)
            if not decision.allowed:
                raise PermissionDenied(
                    messages.BULK_DENIED.format(projects=f"`{slug}`", reason=decision.reason)
                )
        change, versions = await self._finalize(change, list(projects.values()))
        plan = BulkPlan(
            token=secrets.token_urlsafe(12),
            team_id=actor.team_id,
            user_id=actor.slack_user_id,
            change=change,
            query=shown,
            implied_status=implied,
            versions=versions,
            items=[
                BulkItem(
                    id=i.id,
                    short_id=i.short_id,
                    project=i.project.slug,
                    project_id=i.project.id,
                    title=i.title,
                )
                for i in matches.issues
            ],
        )
        await self.save(plan)
        return plan

    async def _finalize(
        self, change: Change, projects: list[ProjectRef]
    ) -> tuple[Change, dict[str, str]]:
        """Check a release resolution against every project involved (each needs a release;
        a named one must exist in each); the change to show and each project's version."""
        if not isinstance(change, Resolve) or change.when == "now":
            return change, {}
        done = [await self.triage.finalize(change, p) for p in sorted(projects, key=_slug)]
        versions = {
            p.id: f.version or ""
            for p, f in zip(sorted(projects, key=_slug), done, strict=True)
            if isinstance(f, Resolve) and change.when == "release"
        }
        if len({f.version for f in done if isinstance(f, Resolve)}) == 1:
            return done[0], versions
        return change, versions  # several projects, several versions: say what was asked

    async def save(self, plan: BulkPlan) -> None:
        """Keep a plan until it is confirmed or expires."""
        await self.store.set_json(self._key(plan.token), plan.model_dump(mode="json"), ttl=BULK_TTL)

    async def load(self, token: str) -> BulkPlan | None:
        """The stored plan, or None once expired or cancelled."""
        raw = await self.store.get_json(self._key(token))
        return BulkPlan.model_validate(raw) if raw else None

    async def discard(self, token: str) -> None:
        """Forget a plan (cancelled, or done)."""
        await self.store.delete(self._key(token))

    async def claim(self, token: str) -> bool:
        """True exactly once per plan, whichever replica or click gets here first."""
        return await self.store.first_time(self.store.key("bulk-run", token), ttl=BULK_TTL * 2)

    async def run(self, plan: BulkPlan, actor: Actor, progress: Progress) -> BulkReport:
        """Apply the change in batches of one project; every issue ends up changed, failed
        or skipped."""
        ident = await self.triage.identity.require(actor.team_id, actor.slack_user_id)
        for slug in plan.projects:  # the link or the policy may have changed since the preview
            await self.triage.policy.require(ident, slug)
        report = BulkReport(what=describe(plan.change))
        batches = await self._batches(plan)
        failed_in_a_row = 0
        for n, (project_id, batch) in enumerate(batches):
            if failed_in_a_row >= STOP_AFTER_FAILURES:
                report.skipped += [i for _, b in batches[n:] for i in b]
                break
            ids = [i.id for i in batch]
            change = plan.change
            if isinstance(change, Resolve) and project_id in plan.versions:
                change = Resolve(when="release", version=plan.versions[project_id])
            try:
                async with deadline.renewed():  # each batch has the budget of one operation
                    found = await self.triage.issues.bulk_update(
                        ids, to_body(change), project_id=project_id
                    )
            except SentryError as exc:
                failed_in_a_row += 1
                report.failures.append(BulkFailure(items=batch, reason=exc.message))
                self.triage.log_change(actor, ident, ids, plan.change.kind, f"failed: {exc}")
            else:
                failed_in_a_row = 0
                if found:
                    report.changed += batch
                    self.triage.log_change(
                        actor, ident, ids, plan.change.kind, "ok", what=report.what
                    )
                    await self.triage.record(actor, ids, report.what)
                else:
                    reason = "Sentry found none of these issues (deleted or merged meanwhile?)"
                    report.failures.append(BulkFailure(items=batch, reason=reason))
                    self.triage.log_change(actor, ident, ids, plan.change.kind, "not found")
            await progress(len(report.changed) + len(report.failed), len(plan.items))
        return report

    async def _batches(self, plan: BulkPlan) -> list[tuple[str, list[BulkItem]]]:
        """Up to BULK_BATCH issues of one project each, projects in the order they appear."""
        by_project: dict[str, list[BulkItem]] = {}
        for item in plan.items:
            pid = item.project_id or (await self.triage.issues.projects.ids_for([item.project]))[0]
            by_project.setdefault(pid, []).append(item)
        return [
            (pid, items[i : i + BULK_BATCH])
            for pid, items in by_project.items()
            for i in range(0, len(items), BULK_BATCH)
        ]

    async def retry_plan(self, plan: BulkPlan, report: BulkReport) -> BulkPlan | None:
        """A new plan holding what failed or was skipped, to offer a retry; None if nothing."""
        rest = report.failed + report.skipped
        if not rest:
            return None
        retry = plan.model_copy(update={"token": secrets.token_urlsafe(12), "items": rest})
        await self.save(retry)
        return retry


def _slug(project: ProjectRef) -> str:
    return project.slug
