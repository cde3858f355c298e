"""Bulk triage: preview the issues a search matches, then change exactly those, in batches.

The preview captures the issue ids under a random token in Redis; Confirm carries only the
token, so what runs is what the user saw, however the search results move meanwhile.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, Field

from bot import messages
from bot.errors import PermissionDenied, SentryError, UserError
from bot.sentry.issues import BULK_BATCH, BULK_CAP, IssueQuery
from bot.store import Store
from bot.triage import Change, Resolve, to_body
from bot.triage_service import Actor, TriageService
from bot.triage_words import describe

log = logging.getLogger(__name__)

BULK_TTL = 15 * 60.0  # how long a preview can be confirmed
PREVIEW_TITLES = 5
STOP_AFTER_FAILURES = 2  # consecutive failed batches: Sentry is likely down, stop there

Progress = Callable[[int, int], Awaitable[None]]


class BulkItem(BaseModel):
    id: str
    short_id: str
    project: str
    title: str = ""


class BulkPlan(BaseModel):
    """A confirmed-to-be change: who asked, what, and exactly which issues."""

    token: str
    team_id: str
    user_id: str
    change: Change
    query: str
    items: list[BulkItem]

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
        matches = await self.triage.issues.collect(search, cap=BULK_CAP)
        if matches.more:
            raise UserError(messages.BULK_TOO_MANY.format(cap=BULK_CAP, query=query_text))
        if not matches.issues:
            raise UserError(messages.BULK_NONE.format(query=query_text))
        projects = {i.project.slug: i.project for i in matches.issues}
        for slug in sorted(projects):
            decision = await self.triage.policy.decide(ident, slug)
            if not decision.allowed:
                raise PermissionDenied(
                    messages.BULK_DENIED.format(projects=f"`{slug}`", reason=decision.reason)
                )
        if isinstance(change, Resolve) and change.when != "now":
            if len(projects) > 1:
                names = ", ".join(f"`{p}`" for p in sorted(projects))
                raise UserError(messages.BULK_ONE_PROJECT.format(projects=names))
            change = await self.triage.finalize(change, next(iter(projects.values())))
        plan = BulkPlan(
            token=secrets.token_urlsafe(12),
            team_id=actor.team_id,
            user_id=actor.slack_user_id,
            change=change,
            query=query_text,
            items=[
                BulkItem(id=i.id, short_id=i.short_id, project=i.project.slug, title=i.title)
                for i in matches.issues
            ],
        )
        await self.save(plan)
        return plan

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
        """Apply the change in batches; every issue ends up changed, failed or skipped."""
        ident = await self.triage.identity.require(actor.team_id, actor.slack_user_id)
        for slug in plan.projects:  # the link or the policy may have changed since the preview
            await self.triage.policy.require(ident, slug)
        body = to_body(plan.change)
        report = BulkReport(what=describe(plan.change))
        batches = [plan.items[i : i + BULK_BATCH] for i in range(0, len(plan.items), BULK_BATCH)]
        failed_in_a_row = 0
        for n, batch in enumerate(batches):
            if failed_in_a_row >= STOP_AFTER_FAILURES:
                report.skipped += [i for b in batches[n:] for i in b]
                break
            ids = [i.id for i in batch]
            try:
                found = await self.triage.issues.bulk_update(ids, body)
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

    async def retry_plan(self, plan: BulkPlan, report: BulkReport) -> BulkPlan | None:
        """A new plan holding what failed or was skipped, to offer a retry; None if nothing."""
        rest = report.failed + report.skipped
        if not rest:
            return None
        retry = plan.model_copy(update={"token": secrets.token_urlsafe(12), "items": rest})
        await self.save(retry)
        return retry
