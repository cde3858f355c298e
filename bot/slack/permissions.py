"""Who may change what. The one place the policy lives (`DEXTER_PERMISSION_MODE`).

- `open`: any linked Slack user may change anything.
- `org-member`: any linked user who is a current member of the organisation.
- `team` (default): owners, managers and admins may change anything; other members may
  change what belongs to a project one of their teams owns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import messages
from bot.core.errors import PermissionDenied
from bot.sentry.members import MemberService
from bot.sentry.projects import ProjectService
from bot.slack.identity_links import Identity

ORG_WIDE_ROLES = frozenset({"owner", "manager", "admin"})
DENY_OWNER = (
    "Your Sentry role is {role} and this alert rule belongs to #{team}, which you are not in. "
    "Ask someone in #{team} or an org admin."
)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str


class Policy:
    """Decides whether a linked identity may change a project's issues, alerts or releases."""

    def __init__(self, mode: str, members: MemberService, projects: ProjectService) -> None:
        self.mode = mode
        self.members = members
        self.projects = projects

    async def decide(self, ident: Identity, project_slug: str | None) -> Decision:
        """Allow or refuse, with the reason in words a user understands."""
        if self.mode == "open":
            return Decision(True, "anyone linked may make changes")
        member = await self.members.by_id(ident.member_id)
        if member is None:
            return Decision(False, messages.DENY_NOT_MEMBER.format(email=ident.email))
        if self.mode == "org-member":
            return Decision(True, "organization members may make changes")
        if member.role in ORG_WIDE_ROLES:
            return Decision(True, f"your Sentry role is {member.role}")
        if project_slug is None:
            return Decision(False, messages.DENY_ROLE.format(role=member.role))
        project, teams_of = await asyncio.gather(
            self.projects.by_slug(project_slug), self.members.teams_of(member.id)
        )
        owning = {t.slug for t in project.teams}
        mine = set(teams_of)
        shared = sorted(owning & mine)
        if shared:
            return Decision(True, f"you are in #{shared[0]}, which owns {project_slug}")
        teams = ", ".join(f"#{t}" for t in sorted(owning)) or "no team"
        return Decision(
            False,
            messages.DENY_TEAM.format(role=member.role, project=project_slug, teams=teams),
        )

    async def decide_rule(
        self, ident: Identity, projects: Sequence[str | None], owner: str | None
    ) -> Decision:
        """Whether the identity may change an alert rule, from the rule as Sentry has it.

        Every project the rule watches must be the identity's to change (a project Dexter
        cannot name, None, or a rule with no project, needs an org-wide role). In `team`
        mode a rule owned by a team also needs that team, as Sentry's own alert list allows
        editing a team's rule only to its members (static/app/views/alerts/list/rules/row.tsx,
        `canEdit`); owners, managers and admins are not held to it.
        """
        decision = Decision(True, "")
        for project in dict.fromkeys(projects or [None]):
            decision = await self.decide(ident, project)
            if not decision.allowed:
                return decision
        kind, _, team_id = (owner or "").partition(":")
        if self.mode != "team" or kind != "team" or not team_id:
            return decision
        member = await self.members.by_id(ident.member_id)
        if member is None or member.role in ORG_WIDE_ROLES:
            return decision
        teams, mine = await asyncio.gather(self.members.teams(), self.members.teams_of(member.id))
        slug = next((t.slug for t in teams if t.id == team_id), None)
        if slug is not None and slug in mine:
            return Decision(True, f"you are in #{slug}, which owns this rule")
        return Decision(False, DENY_OWNER.format(role=member.role, team=slug or team_id))

    async def require_rule(
        self, ident: Identity, projects: Sequence[str | None], owner: str | None
    ) -> Decision:
        """decide_rule, raising PermissionDenied on a refusal."""
        decision = await self.decide_rule(ident, projects, owner)
        if not decision.allowed:
            raise PermissionDenied(decision.reason)
        return decision

    async def require(self, ident: Identity, project_slug: str | None) -> Decision:
        """Decide, raising PermissionDenied on a refusal."""
        decision = await self.decide(ident, project_slug)
        if not decision.allowed:
            raise PermissionDenied(decision.reason)
        return decision
