"""Older self-hosted Sentry: issue alert rules per project and metric alert rules per org.

Bodies follow `projects/{org}/{project}/rules/` and `organizations/{org}/alert-rules/` in
sentry-openapi-with-legacy-alert-rules.json. This API has no documented way to enable or
disable a rule, so listed legacy rules can be deleted but not toggled.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

from bot.alerts.rules import Generation, IssueAlert, Metric, MetricAlert, Target, Trigger, number
from bot.alerts.sentry_api import AlertRef, AlertSummary, Created, Recipient
from bot.core.errors import SentryNotFound, UserError
from bot.sentry.client import SentryClient
from bot.sentry.projects import ProjectService

log = logging.getLogger(__name__)

MAX_PROJECTS = 50  # issue rules are listed per project: one request each
_RULES = "sentry.rules"
_FREQUENCY = f"{_RULES}.conditions.event_frequency"
CONDITIONS = {
    Trigger.NEW_ISSUE: f"{_RULES}.conditions.first_seen_event.FirstSeenEventCondition",
    Trigger.REGRESSION: f"{_RULES}.conditions.regression_event.RegressionEventCondition",
    # Not among the schema's examples, but the condition every legacy Sentry has for
    # "the issue changes state from archived to escalating".
    Trigger.REAPPEARED: f"{_RULES}.conditions.reappeared_event.ReappearedEventCondition",
    Trigger.EVENT_FREQUENCY: f"{_FREQUENCY}.EventFrequencyCondition",
    Trigger.USER_FREQUENCY: f"{_FREQUENCY}.EventUniqueUserFrequencyCondition",
}
LEVEL_FILTER = f"{_RULES}.filters.level.LevelFilter"
TAG_FILTER = f"{_RULES}.filters.tagged_event.TaggedEventFilter"
AGE_FILTER = f"{_RULES}.filters.age_comparison.AgeComparisonFilter"
EMAIL_ACTION = "sentry.mail.actions.NotifyEmailAction"
SLACK_ACTION = "sentry.integrations.slack.notify_action.SlackNotifyServiceAction"
# src/sentry/rules/actions/sentry_apps/notify_event.py NotifyEventSentryAppAction: it needs
# `sentryAppInstallationUuid` and `settings` with every required field of the app's
# alert-rule-action schema (self_validate).
SENTRY_APP_ACTION = "sentry.rules.actions.notify_event_sentry_app.NotifyEventSentryAppAction"
LEVEL_NUMBERS = {"debug": "10", "info": "20", "warning": "30", "error": "40", "fatal": "50"}

# "Metric Alert Rule Types" of the legacy schema; span measurements use the same data
# source fields the current monitors document (the snuba query behind both is the same).
ERRORS_QUERY = {"dataset": "events", "queryType": 0, "eventTypes": ["error", "default"]}
SPANS_QUERY = {
    "dataset": "events_analytics_platform",
    "queryType": 1,
    "eventTypes": ["trace_item_span"],
}
AGGREGATES = {
    Metric.ERRORS: "count()",
    Metric.USERS: "count_unique(user)",
    Metric.P95: "p95(span.duration)",
    Metric.P50: "p50(span.duration)",
    Metric.THROUGHPUT: "count(span.duration)",
    Metric.FAILURE_RATE: "failure_rate()",
}


def _int(value: str | None) -> int | str:
    return int(value) if value and value.isdigit() else (value or "")


def issue_action(target: Target) -> dict[str, Any]:
    """An issue rule action for the target."""
    if target.kind == "dexter":
        return {
            "id": SENTRY_APP_ACTION,
            "sentryAppInstallationUuid": target.integration_id,
            "settings": [{"name": "channel", "value": target.id}],
        }
    if target.kind == "slack":
        return {
            "id": SLACK_ACTION,
            "workspace": _int(target.integration_id),
            "channel": f"#{target.name}",
            "channel_id": target.id,  # skips Sentry's asynchronous channel lookup
        }
    if target.kind == "issue_owners":
        return {"id": EMAIL_ACTION, "targetType": "IssueOwners", "fallthroughType": "ActiveMembers"}
    return {
        "id": EMAIL_ACTION,
        "targetType": "Member" if target.kind == "member" else "Team",
        "fallthroughType": "ActiveMembers",
        "targetIdentifier": _int(target.id),  # a member is named by their Sentry user id
    }


def issue_rule_body(rule: IssueAlert, owner: str | None) -> dict[str, Any]:
    """The body of `POST projects/{org}/{project}/rules/`."""
    condition: dict[str, Any] = {"id": CONDITIONS[rule.trigger]}
    if rule.trigger in (Trigger.EVENT_FREQUENCY, Trigger.USER_FREQUENCY):
        condition |= {"value": rule.threshold, "interval": rule.interval}
    filters: list[dict[str, Any]] = []
    if rule.level:
        filters.append({"id": LEVEL_FILTER, "match": "gte", "level": LEVEL_NUMBERS[rule.level]})
    if rule.tag_key:
        filters.append(
            {"id": TAG_FILTER, "key": rule.tag_key, "match": "eq", "value": rule.tag_value}
        )
    if rule.age_comparison:
        filters.append(
            {
                "id": AGE_FILTER,
                "comparison_type": rule.age_comparison,
                "value": rule.age_value,
                "time": rule.age_unit,
            }
        )
    body: dict[str, Any] = {
        "name": rule.name,
        "frequency": rule.action_interval,
        "actionMatch": "all",
        "conditions": [condition],
        "filterMatch": "all",
        "filters": filters,
        "actions": [issue_action(rule.target)],
    }
    if rule.environment:
        body["environment"] = rule.environment
    if owner:
        body["owner"] = owner
    return body


def metric_action(target: Target) -> dict[str, Any]:
    """A metric rule trigger action for the target."""
    if target.kind == "dexter":  # the form does not offer it (bot/alerts/form.py offers_dexter)
        raise ValueError("a legacy metric rule's sentry-app action needs the app's id")
    if target.kind == "slack":
        return {
            "type": "slack",
            "targetType": "specific",
            "targetIdentifier": f"#{target.name}",
            "inputChannelId": target.id,
            "integrationId": _int(target.integration_id),
        }
    kind = "user" if target.kind == "member" else "team"
    return {"type": "email", "targetType": kind, "targetIdentifier": target.id}


def metric_rule_body(rule: MetricAlert, owner: str | None) -> dict[str, Any]:
    """The body of `POST organizations/{org}/alert-rules/`."""
    act = metric_action(rule.target)
    triggers: list[dict[str, Any]] = [
        {"label": "critical", "alertThreshold": number(rule.critical), "actions": [act]}
    ]
    if rule.warning is not None:
        triggers.append(
            {"label": "warning", "alertThreshold": number(rule.warning), "actions": [act]}
        )
    body: dict[str, Any] = {
        "name": rule.name,
        "aggregate": AGGREGATES[rule.metric],
        "timeWindow": rule.window,
        "projects": [rule.project],
        "query": rule.query,
        "thresholdType": 0 if rule.direction == "above" else 1,
        "triggers": triggers,
        **(ERRORS_QUERY if rule.dataset == "errors" else SPANS_QUERY),
    }
    if rule.resolve is not None:
        body["resolveThreshold"] = number(rule.resolve)
    if rule.environment:
        body["environment"] = rule.environment
    if owner:
        body["owner"] = owner
    return body


def _projects(raw: dict[str, Any]) -> list[str]:
    return [str(p) for p in raw.get("projects") or []]


def issue_recipient(raw: dict[str, Any]) -> Recipient:
    """Whom an issue rule action notifies."""
    ident = str(raw.get("targetIdentifier") or "")
    if raw.get("id") == EMAIL_ACTION:
        kind = {"Member": "user", "Team": "team", "IssueOwners": "issue_owners"}
        return Recipient(kind=kind.get(str(raw.get("targetType")), "other"), ident=ident)
    if raw.get("id") == SLACK_ACTION:
        return Recipient(kind="slack", label=str(raw.get("channel") or ""))
    name = str(raw.get("id") or "action").rsplit(".", 1)[-1]
    return Recipient(kind="other", label=name.removesuffix("Action"))


def metric_recipient(raw: dict[str, Any]) -> Recipient:
    """Whom a metric rule trigger action notifies."""
    ident = str(raw.get("targetIdentifier") or "")
    if raw.get("type") == "slack":
        label = ident if ident.startswith("#") else str(raw.get("inputChannelId") or ident)
        return Recipient(kind="slack", label=label)
    if raw.get("type") == "email" and raw.get("targetType") in ("user", "team"):
        return Recipient(kind=str(raw["targetType"]), ident=ident)
    return Recipient(kind="other", label=str(raw.get("type") or "action"))


class LegacyAlerts:
    """Issue alert rules and metric alert rules."""

    generation: Generation = "legacy"

    def __init__(self, client: SentryClient, projects: ProjectService) -> None:
        self.client = client
        self.projects = projects

    def _project_path(self, project: str, *parts: str) -> str:
        segments = [quote(p, safe="") for p in ("projects", self.client.org, project, *parts)]
        return "/".join(segments) + "/"

    def _web(self, path: str) -> str:
        return f"{self.client.base_url}/organizations/{self.client.org}/alerts/rules/{path}"

    async def _all(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        async for page in self.client.paginate(path, max_pages=5):
            out += page.data or []
        return out

    async def rules(self, project_slug: str | None) -> list[AlertSummary]:
        """Issue rules of the project(s) and the organisation's metric rules."""
        slugs = [project_slug] if project_slug else [p.slug for p in await self.projects.all()]
        if len(slugs) > MAX_PROJECTS:
            log.info("listing issue rules of the first %d of %d projects", MAX_PROJECTS, len(slugs))
            slugs = slugs[:MAX_PROJECTS]
        metric, *issue_lists = await asyncio.gather(
            self._all(self.client.org_path("alert-rules")),
            *(self._all(self._project_path(s, "rules")) for s in slugs),
        )
        out = [
            self._issue(r, s) for s, rules in zip(slugs, issue_lists, strict=True) for r in rules
        ]
        for raw in metric:
            if project_slug and project_slug not in _projects(raw):
                continue
            out.append(self._metric(raw))
        return out

    async def read(self, ref: AlertRef) -> AlertSummary:
        """One rule: an issue rule is read under the project the value names (Sentry answers
        404 when the rule is not that project's), a metric rule by its id."""
        if ref.k == "issue":
            project = ref.p[0] if len(ref.p) == 1 else ""
            if not project or project == "?":
                raise SentryNotFound("no such rule", status=404)
            resp = await self.client.get(self._project_path(project, "rules", ref.id))
            raw = resp.data if isinstance(resp.data, dict) else {}
            if str(raw.get("id") or "") != ref.id:
                raise SentryNotFound("no such rule", status=404)
            return self._issue(raw, project)
        resp = await self.client.get(self.client.org_path("alert-rules", ref.id))
        raw = resp.data if isinstance(resp.data, dict) else {}
        if str(raw.get("id") or "") != ref.id:
            raise SentryNotFound("no such rule", status=404)
        return self._metric(raw)

    def _metric(self, raw: dict[str, Any]) -> AlertSummary:
        actions = [a for t in raw.get("triggers") or [] for a in t.get("actions") or []]
        seen: dict[str, Recipient] = {}
        for a in actions:
            r = metric_recipient(a)
            seen.setdefault(f"{r.kind}:{r.ident}:{r.label}", r)
        return AlertSummary(
            generation="legacy",
            id=str(raw["id"]),
            kind="metric",
            name=str(raw.get("name") or raw["id"]),
            projects=_projects(raw),
            enabled=None,
            owner=raw.get("owner"),
            recipients=list(seen.values()),
            url=self._web(f"details/{raw['id']}/"),
        )

    def _issue(self, raw: dict[str, Any], slug: str) -> AlertSummary:
        rid = str(raw.get("id") or "")
        return AlertSummary(
            generation="legacy",
            id=rid,
            kind="issue",
            name=str(raw.get("name") or rid),
            projects=[slug],
            enabled=raw.get("status", "active") != "disabled",
            owner=raw.get("owner"),
            recipients=[issue_recipient(a) for a in raw.get("actions") or []],
            url=self._web(f"{slug}/{rid}/details/"),
        )

    async def create(self, rule: IssueAlert | MetricAlert, *, owner: str | None) -> Created:
        """Create an issue rule in the project, or a metric rule in the organisation."""
        if isinstance(rule, IssueAlert):
            resp = await self.client.post(
                self._project_path(rule.project, "rules"), json=issue_rule_body(rule, owner)
            )
            rid = str((resp.data or {}).get("id") or "")
            url = self._web(f"{rule.project}/{rid}/details/") if rid else None
            return Created(generation="legacy", id=rid, url=url)
        resp = await self.client.post(
            self.client.org_path("alert-rules"), json=metric_rule_body(rule, owner)
        )
        rid = str((resp.data or {}).get("id") or "")
        return Created(
            generation="legacy", id=rid, url=self._web(f"details/{rid}/") if rid else None
        )

    async def set_enabled(self, ref: AlertRef, enabled: bool) -> None:
        """Not possible through this API."""
        raise UserError(
            "This Sentry's API cannot enable or disable alert rules. "
            "Use Sentry's alert page, or delete the rule."
        )

    async def delete(self, ref: AlertRef) -> None:
        """Delete an issue rule (of its project) or a metric rule."""
        if ref.k == "issue":
            project = ref.p[0] if ref.p else ""
            await self.client.delete(self._project_path(project, "rules", ref.id))
        else:
            await self.client.delete(self.client.org_path("alert-rules", ref.id))
