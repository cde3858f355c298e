"""Alert rules behind one interface, whichever Sentry API the organisation has.

Current Sentry: *Alerts* (`workflows/`) connected to *Monitors* (`detectors/`), see
alerts_current.py. Older self-hosted Sentry answers 404 there and serves issue alert rules
(`projects/{org}/{project}/rules/`) and metric alert rules (`alert-rules/`), see
alerts_legacy.py. Which one an organisation has is detected once and cached in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.alerts.preview import Preview
from bot.alerts.rules import Generation, IssueAlert, MetricAlert
from bot.alerts.sentry_history import AlertHistory
from bot.core.errors import SentryNotFound, StateUnavailable
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.members import MemberService
from bot.sentry.projects import ProjectService
from bot.sentry.scope import cache_key

log = logging.getLogger(__name__)

GENERATION_TTL = 6 * 3600.0
INTEGRATIONS_TTL = 300.0


class Recipient(BaseModel):
    """Whom a listed rule notifies: `kind` slack | user | team | issue_owners | other."""

    kind: str
    ident: str = ""
    label: str = ""


class AlertSummary(BaseModel):
    """One rule as `/dexter alerts` lists it."""

    generation: Generation
    id: str
    kind: str  # issue | metric | another monitor type in words
    name: str
    projects: list[str] = Field(default_factory=list)
    enabled: bool | None = None  # None: the API does not say
    owner: str | None = None  # `user:<id>` or `team:<id>`
    owner_name: str | None = None
    recipients: list[Recipient] = Field(default_factory=list)
    notifies: list[str] = Field(default_factory=list)  # recipients in words (set by the service)
    url: str | None = None
    detector_ids: list[str] = Field(default_factory=list)  # monitors that belong to this alert
    can_toggle: bool = False

    def ref(self, *, filter_project: str | None = None, page: int = 1) -> AlertRef:
        """The button value that names this rule."""
        return AlertRef(
            g=self.generation,
            k=self.kind,
            id=self.id,
            p=self.projects,
            d=self.detector_ids,
            n=self.name[:80],
            f=filter_project,
            pg=page,
        )


class AlertRef(BaseModel):
    """A rule named in a button value (short keys: Slack allows 2000 characters)."""

    g: Generation
    k: str
    id: str
    p: list[str] = Field(default_factory=list)
    d: list[str] = Field(default_factory=list)
    n: str = ""
    f: str | None = None  # the project the list was filtered by
    pg: int = 1


class Created(BaseModel):
    """What creating a rule produced."""

    generation: Generation
    id: str
    url: str | None = None
    detector_id: str | None = None


class AlertBackend(Protocol):
    """One Sentry API generation."""

    generation: Generation

    async def rules(self, project_slug: str | None) -> list[AlertSummary]: ...

    async def create(self, rule: IssueAlert | MetricAlert, *, owner: str | None) -> Created: ...

    async def read(self, ref: AlertRef) -> AlertSummary: ...

    async def set_enabled(self, ref: AlertRef, enabled: bool) -> None: ...

    async def delete(self, ref: AlertRef) -> None: ...


class AlertService:
    """List, create, enable/disable, delete and preview alert rules."""

    def __init__(
        self,
        client: SentryClient,
        store: Store,
        projects: ProjectService,
        members: MemberService,
    ) -> None:
        from bot.alerts.sentry_current import CurrentAlerts
        from bot.alerts.sentry_legacy import LegacyAlerts

        self.client = client
        self.store = store
        self.projects = projects
        self.members = members
        self.history = AlertHistory(client)
        self.backends: dict[str, AlertBackend] = {
            "current": CurrentAlerts(client, projects),
            "legacy": LegacyAlerts(client, projects),
        }

    async def generation(self) -> Generation:
        """`current` when the organisation has Alerts and Monitors, else `legacy` (cached)."""

        async def probe() -> str:
            try:
                await self.client.get(self.client.org_path("workflows"))
            except SentryNotFound:
                log.info("sentry has no workflows endpoint: using legacy alert rules")
                return "legacy"
            return "current"

        value = await self.store.cached(self._generation_key(), GENERATION_TTL, probe)
        return "legacy" if value == "legacy" else "current"

    def _generation_key(self) -> str:
        return cache_key(self.store, self.client, "alerts-api")

    async def _remember_generation(self, value: Generation) -> None:
        with contextlib.suppress(StateUnavailable):
            await self.store.set_json(self._generation_key(), value, ttl=GENERATION_TTL)

    async def backend(self, generation: Generation | None = None) -> AlertBackend:
        """The backend for a generation (detected when not given)."""
        return self.backends[generation or await self.generation()]

    async def slack_integration(self, team_id: str) -> str | None:
        """The id of Sentry's Slack integration installed for this Slack workspace, if any."""

        async def load() -> list[dict[str, Any]]:
            resp = await self.client.get(
                self.client.org_path("integrations"), params={"providerKey": "slack"}
            )
            return [
                {
                    "id": str(i["id"]),
                    "externalId": str(i.get("externalId") or ""),
                    "status": str(i.get("status") or "active"),
                }
                for i in resp.data or []
            ]

        key = cache_key(self.store, self.client, "slack-integrations")
        for integration in await self.store.cached(key, INTEGRATIONS_TTL, load):
            if integration["status"] == "active" and integration["externalId"] == team_id:
                return str(integration["id"])
        return None

    async def rules(self, project_slug: str | None = None) -> list[AlertSummary]:
        """Every rule (of one project when given), with owners and recipients named."""
        if project_slug:
            await self.projects.by_slug(project_slug)  # a clear error for a typo
        rules = await self._rules(project_slug)
        users: dict[str, str] = {}
        teams: dict[str, str] = {}
        kinds = _kinds(rules)
        if "user" in kinds:
            users = {
                m.user_id: m.name or m.email for m in await self.members.members() if m.user_id
            }
        if "team" in kinds:
            teams = {t.id: f"#{t.slug}" for t in await self.members.teams()}
        for rule in rules:
            kind, _, ident = (rule.owner or "").partition(":")
            names = users if kind == "user" else teams
            rule.owner_name = names.get(ident) or rule.owner
            rule.notifies = [_recipient_words(r, users, teams) for r in rule.recipients]
        return sorted(rules, key=lambda r: (r.name.lower(), r.id))

    async def _rules(self, project_slug: str | None) -> list[AlertSummary]:
        """The backend's rules; the first listing of workflows doubles as the API probe."""
        from bot.alerts.sentry_current import CurrentAlerts

        known = None
        with contextlib.suppress(StateUnavailable):
            known = await self.store.get_json(self._generation_key())
        if known == "legacy":
            return await self.backends["legacy"].rules(project_slug)
        current = self.backends["current"]
        assert isinstance(current, CurrentAlerts)
        try:
            rules = await current.rules(project_slug, prefetch=self._directory)
        except NoWorkflows:
            log.info("sentry has no workflows endpoint: using legacy alert rules")
            await self._remember_generation("legacy")
            return await self.backends["legacy"].rules(project_slug)
        if known != "current":
            await self._remember_generation("current")
        return rules

    async def _directory(self, kinds: set[str]) -> None:
        """Load the member/team directory the rules will be named from (Redis-cached)."""
        await asyncio.gather(
            self.members.members() if "user" in kinds else _nothing(),
            self.members.teams() if "team" in kinds else _nothing(),
        )

    async def create(
        self,
        rule: IssueAlert | MetricAlert,
        *,
        owner: str | None,
        generation: Generation | None = None,
    ) -> Created:
        """Create the rule in whichever API the organisation has."""
        return await (await self.backend(generation)).create(rule, owner=owner)

    async def read(self, ref: AlertRef) -> AlertSummary:
        """The rule a button names, as Sentry has it now: its projects, owner, name and the
        monitors that belong to it. A button value is only a pointer (Slack hands back
        whatever the sender put there); permission and the change itself go by this.
        SentryNotFound when Sentry has no such rule (where the value says it is)."""
        return await (await self.backend(ref.g)).read(ref)

    async def set_enabled(self, ref: AlertRef, enabled: bool) -> None:
        """Enable or disable a listed rule."""
        await (await self.backend(ref.g)).set_enabled(ref, enabled)

    async def delete(self, ref: AlertRef) -> None:
        """Delete a listed rule (and the monitors that belong only to it)."""
        await (await self.backend(ref.g)).delete(ref)

    async def preview(self, rule: IssueAlert | MetricAlert) -> Preview:
        """How often the rule would have fired over the last week."""
        return await self.history.preview(rule)


class NoWorkflows(SentryNotFound):
    """The organisation's Sentry has no `workflows/` endpoint (older self-hosted)."""


def _kinds(rules: list[AlertSummary]) -> set[str]:
    kinds = {r.kind for rule in rules for r in rule.recipients}
    return kinds | {(rule.owner or "").partition(":")[0] for rule in rules}


async def _nothing() -> None:
    return None


def _recipient_words(r: Recipient, users: dict[str, str], teams: dict[str, str]) -> str:
    if r.kind == "slack":
        return f"Slack #{(r.label or r.ident).lstrip('#')}"
    if r.kind == "user":
        return f"email {users.get(r.ident) or 'user ' + r.ident}"
    if r.kind == "team":
        return f"email {teams.get(r.ident) or 'team ' + r.ident}"
    if r.kind == "issue_owners":
        return "email issue owners"
    return r.label or r.kind
