"""What an `event_alert` or `metric_alert` delivery says, read leniently (the payload is a hint).

Shapes, from Sentry's source:
- `event_alert` / `triggered`: src/sentry/sentry_apps/tasks/sentry_apps.py `send_alert_webhook_v2`
  builds `data = {"event": <event as_dict + url, web_url, issue_url, issue_id>, "triggered_rule":
  <rule label>}` and, for the alert-rule-action component, adds `data["issue_alert"] =
  {"id", "title", "sentry_app_id", "settings": [{"name", "value"}]}`.
- `metric_alert` / `critical|warning|resolved`: src/sentry/rules/actions/notify_event_service.py
  `build_incident_attachment` sends `{"metric_alert": <IncidentSerializer, snake_case>,
  "description_text", "description_title", "web_url"}`; the action is
  `INCIDENT_STATUS[new_status].lower()`. The incident's `alert_rule.triggers[].actions[]` carry
  the sentry-app action's `settings` (`find_alert_rule_action_ui_component` in the same file).
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CHANNEL_SETTING = "channel"
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,20}$")
_DIGITS = re.compile(r"^\d{1,20}$")
_URL = re.compile(r"^https?://[^\s<>|]{1,2000}$")  # nothing that could close a mrkdwn link


def setting(settings: Any, name: str) -> str | None:
    """The value of a `[{"name", "value"}]` setting, if present and a string."""
    if not isinstance(settings, list):
        return None
    for item in settings:
        if isinstance(item, Mapping) and item.get("name") == name:
            value = item.get("value")
            return value.strip() if isinstance(value, str) else None
    return None


def channel_id(value: str | None) -> str | None:
    """A Slack channel id (`C…` or `G…`), or None for anything else (a name, junk)."""
    return value if value and _CHANNEL_ID.match(value) else None


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text or None
    return None


def _url(value: Any) -> str | None:
    text = _str(value)
    return text if text and _URL.match(text) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class IssueAlertFired:
    """An issue alert rule fired for an issue, with Dexter's action settings."""

    rule_id: str | None
    rule_title: str
    channel: str | None  # the raw setting value (validated separately)
    issue_id: str
    event_id: str | None
    project_id: str | None


def issue_alert(data: Mapping[str, Any]) -> IssueAlertFired | None:
    """The fired rule and issue, or None when the payload names no issue."""
    event = data.get("event") if isinstance(data.get("event"), Mapping) else {}
    alert = data.get("issue_alert") if isinstance(data.get("issue_alert"), Mapping) else {}
    assert isinstance(event, Mapping) and isinstance(alert, Mapping)
    issue_id = _str(event.get("issue_id")) or _str(event.get("group_id"))
    if not issue_id or not _DIGITS.match(issue_id):
        return None
    title = _str(alert.get("title")) or _str(data.get("triggered_rule")) or "an alert rule"
    rule_id = _str(alert.get("id"))
    return IssueAlertFired(
        rule_id=rule_id if rule_id and _DIGITS.match(rule_id) else None,
        rule_title=title,
        channel=setting(alert.get("settings"), CHANNEL_SETTING),
        issue_id=issue_id,
        event_id=_str(event.get("event_id")),
        project_id=_str(event.get("project")),
    )


@dataclass(frozen=True, slots=True)
class Threshold:
    label: str  # critical | warning
    value: float


@dataclass(frozen=True, slots=True)
class Incident:
    """A metric alert incident in one state."""

    id: str
    identifier: str
    state: str  # critical | warning | resolved
    rule_id: str | None
    rule_name: str
    aggregate: str
    query: str
    dataset: str
    window_minutes: int
    above: bool
    environment: str | None
    projects: list[str]
    started: datetime | None
    closed: datetime | None
    description: str
    web_url: str | None
    channel: str | None
    thresholds: list[Threshold] = field(default_factory=list)
    resolve_threshold: float | None = None


STATES = ("critical", "warning", "resolved")


def incident(action: str, data: Mapping[str, Any]) -> Incident | None:
    """The incident of a `metric_alert` delivery, or None when it names none."""
    raw = data.get("metric_alert")
    if not isinstance(raw, Mapping) or action not in STATES:
        return None
    inc_id = _str(raw.get("id"))
    if not inc_id or not _DIGITS.match(inc_id):
        return None
    rule = raw.get("alert_rule") if isinstance(raw.get("alert_rule"), Mapping) else {}
    assert isinstance(rule, Mapping)
    thresholds: list[Threshold] = []
    channel: str | None = None
    for trigger in rule.get("triggers") or []:
        if not isinstance(trigger, Mapping):
            continue
        value = _number(trigger.get("alert_threshold"))
        label = _str(trigger.get("label"))
        if value is not None and label in ("critical", "warning"):
            thresholds.append(Threshold(label=label, value=value))
        for act in trigger.get("actions") or []:
            if isinstance(act, Mapping) and act.get("type") == "sentry_app" and channel is None:
                channel = setting(act.get("settings"), CHANNEL_SETTING)
    window = _number(rule.get("time_window"))
    projects = [p for p in raw.get("projects") or [] if isinstance(p, str)]
    return Incident(
        id=inc_id,
        identifier=_str(raw.get("identifier")) or inc_id,
        state=action,
        rule_id=_str(rule.get("id")),
        rule_name=_str(rule.get("name")) or _str(raw.get("title")) or "Metric alert",
        aggregate=_str(rule.get("aggregate")) or "count()",
        query=_str(rule.get("query")) or "",
        dataset=_str(rule.get("dataset")) or "events",
        window_minutes=max(1, int(window)) if window else 60,
        above=rule.get("threshold_type") != 1,  # AlertRuleThresholdType: ABOVE = 0, BELOW = 1
        environment=_str(rule.get("environment")),
        projects=projects,
        started=_when(raw.get("date_started")),
        closed=_when(raw.get("date_closed")),
        description=_str(data.get("description_text")) or "",
        web_url=_url(data.get("web_url")),
        channel=channel,
        thresholds=thresholds,
        resolve_threshold=_number(rule.get("resolve_threshold")),
    )
