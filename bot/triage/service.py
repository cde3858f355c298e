"""The triage action: who asks, may they, what exactly to send, send it, log and record it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass

from bot.core import clock, messages, mrkdwn
from bot.core.errors import NotLinked, PermissionDenied, SentryError, StateUnavailable, UserError
from bot.sentry.issues import RELEASE_TTL, IssueService
from bot.sentry.members import MemberService
from bot.sentry.models import Issue, ProjectRef
from bot.sentry.scope import sentry_identity
from bot.slack.identity_links import Identity, IdentityService
from bot.slack.permissions import Policy
from bot.triage.card_store import Activity, CardStore
from bot.triage.parse import Assign, AssigneeSpec, Ignore, Resolve, Unresolve, to_body
from bot.triage.wording import describe

log = logging.getLogger(__name__)

AnyChange = Resolve | Unresolve | Ignore | Assign
_ASSIGNEE_VALUE = re.compile(r"^(user|team):\d+$")


@dataclass(frozen=True, slots=True)
class Actor:
    """The Slack user asking for a change."""

    team_id: str
    slack_user_id: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """A change Sentry accepted: the issue as it was before, and what was done."""

    issue: Issue
    change: AnyChange
    ident: Identity
    what: str


class TriageService:
    """Every issue change made from Slack goes through `apply` (or the bulk runner)."""

    def __init__(
        self,
        *,
        issues: IssueService,
        identity: IdentityService,
        policy: Policy,
        members: MemberService,
        cards: CardStore,
    ) -> None:
        self.issues = issues
        self.identity = identity
        self.policy = policy
        self.members = members
        self.cards = cards
        self._release_hints: dict[str, tuple[bool, float]] = {}

    async def apply(self, actor: Actor, issue_id: str, change: AnyChange) -> Outcome:
        """Check the link and the policy, PUT the change, log it and record it for the card."""
        # Who asks and which issue it is are independent questions: ask both at once.
        reading = asyncio.ensure_future(self.issues.get(issue_id))
        try:
            ident = await self.identity.require(actor.team_id, actor.slack_user_id)
        except BaseException as exc:
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading
            if isinstance(exc, NotLinked):
                self.log_change(actor, None, [issue_id], change.kind, "refused: not linked")
            raise
        issue = await reading
        try:
            await self.policy.require(ident, issue.project.slug)
        except PermissionDenied as exc:
            self.log_change(actor, ident, [issue.id], change.kind, f"refused: {exc.reason}")
            raise
        change = await self.finalize(change, issue.project)
        try:
            answer = await self.issues.update(issue.id, to_body(change))
        except SentryError as exc:
            self.log_change(actor, ident, [issue.id], change.kind, f"failed: {exc.message}")
            raise
        chosen = (answer.get("statusDetails") or {}).get("inRelease")
        if isinstance(change, Resolve) and change.when == "current" and isinstance(chosen, str):
            change = Resolve(when="current", version=chosen)  # the release Sentry picked
        what = describe(change)
        self.log_change(actor, ident, [issue.id], change.kind, "ok", what=what)
        await self.record(actor, [issue.id], what)
        return Outcome(issue=issue, change=change, ident=ident, what=what)

    async def finalize(self, change: AnyChange, project: ProjectRef) -> AnyChange:
        """Look up what a change needs (the current release, the named release) and refuse
        what cannot apply to the project."""
        if not isinstance(change, Resolve) or change.when == "now":
            return change
        if change.when == "release":
            return Resolve(when="release", version=await self.release_of(project, change))
        version = await self.issues.latest_release(project.id, fresh=True)
        self._remember_releases(project.id, version is not None)
        if version is None:
            what = "the next release" if change.when == "next" else "the current release"
            raise UserError(messages.NO_RELEASES.format(project=project.slug, what=what))
        if change.when == "current":
            return Resolve(when="current", version=version)
        return change

    async def release_of(self, project: ProjectRef, change: Resolve) -> str:
        """The project's release a `resolve in <version>` names, or UserError saying why not."""
        wanted = change.version or ""
        found = await self.issues.project_release(project.id, wanted)
        if not found:
            raise UserError(messages.UNKNOWN_RELEASE.format(project=project.slug, version=wanted))
        if len(found) > 1:
            versions = ", ".join(f"`{v}`" for v in found[:5])
            raise UserError(
                messages.AMBIGUOUS_RELEASE.format(
                    version=wanted, versions=versions, project=project.slug
                )
            )
        return found[0]

    async def record(self, actor: Actor, issue_ids: list[str], what: str) -> None:
        """Remember the change for the cards' activity line (best effort)."""
        activity = Activity(text=what, slack_user_id=actor.slack_user_id, at=clock.now())
        try:
            await self.cards.record(issue_ids, activity)
        except StateUnavailable:
            log.warning("could not record activity on %d issues", len(issue_ids))

    def log_change(
        self,
        actor: Actor,
        ident: Identity | None,
        issue_ids: list[str],
        action: str,
        result: str,
        *,
        what: str = "",
    ) -> None:
        """One structured log line per change (or batch of a bulk change)."""
        log.info(
            "issue change %s on %s by %s (Slack %s in %s): %s",
            action,
            ",".join(issue_ids[:5]) + ("…" if len(issue_ids) > 5 else ""),
            ident.email if ident else "an unlinked user",
            actor.slack_user_id,
            actor.team_id,
            result,
            extra={
                "slack_team": actor.team_id,
                "slack_user": actor.slack_user_id,
                "sentry_member": ident.member_id if ident else None,
                "sentry_email": ident.email if ident else None,
                "issue": issue_ids[0] if len(issue_ids) == 1 else issue_ids,
                "action": action,
                "change": what,
                "result": result,
            },
        )

    # ---- assignees ----------------------------------------------------------------------

    async def assignee(self, actor: Actor, spec: AssigneeSpec) -> Assign:
        """Turn who the user named into Sentry's `assignedTo`, or UserError saying why not."""
        if spec.kind == "none":
            return Assign(assignee="")
        if spec.kind == "me":
            me = await self.identity.require(actor.team_id, actor.slack_user_id)
            return Assign(assignee=me.assignee, label=me.name or me.email)
        if spec.kind == "slack":
            other = await self.identity.resolve(actor.team_id, spec.value)
            if other is None:
                raise UserError(mrkdwn.format(messages.ASSIGNEE_NOT_LINKED, user=spec.value))
            return Assign(assignee=other.assignee, label=other.name or other.email)
        if spec.kind == "team":
            team = await self.members.team_by_slug(spec.value)
            if team is None:
                raise UserError(messages.UNKNOWN_TEAM.format(slug=spec.value))
            return Assign(assignee=f"team:{team.id}", label=f"#{team.slug}")
        if spec.kind == "email":
            member = await self.members.by_email(spec.value)
            if member is None:
                raise UserError(messages.UNKNOWN_EMAIL.format(email=spec.value))
            value = f"user:{member.user_id}" if member.user_id else member.email
            return Assign(assignee=value, label=member.name or member.email)
        # A bare `@name` (Slack did not escape the mention): accept one unambiguous member.
        name = spec.value.lower()
        found = [
            m
            for m in await self.members.members()
            if m.email.split("@")[0] == name or m.name.lower().replace(" ", "") == name
        ]
        if len(found) != 1 or not found[0].user_id:
            raise UserError(messages.UNKNOWN_NAME.format(name=spec.value))
        return Assign(assignee=f"user:{found[0].user_id}", label=found[0].name or found[0].email)

    @staticmethod
    def picked(value: str, label: str) -> Assign:
        """An assignee picked in the Assign menu (`user:<id>` or `team:<id>`)."""
        if not _ASSIGNEE_VALUE.match(value):
            raise UserError(messages.STALE_BUTTON)
        return Assign(assignee=value, label=label)

    # ---- releases -----------------------------------------------------------------------

    async def has_releases(self, project_id: str) -> bool:
        """Whether the project has any release (cached briefly), for the Resolve menu."""
        version = await self.issues.latest_release(project_id)
        self._remember_releases(project_id, version is not None)
        return version is not None

    def release_hint(self, project_id: str) -> bool:
        """The last known answer of `has_releases` in this process; True when unknown."""
        known = self._release_hints.get(self._hint_key(project_id))
        return known[0] if known and known[1] > time.monotonic() else True

    def _remember_releases(self, project_id: str, value: bool) -> None:
        self._release_hints[self._hint_key(project_id)] = (value, time.monotonic() + RELEASE_TTL)

    def _hint_key(self, project_id: str) -> str:
        # project ids repeat across Sentry servers (self-hosted ones all start at 1)
        return f"{sentry_identity(self.issues.client)}:{project_id}"
