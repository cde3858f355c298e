"""The alert rule as Dexter understands it, independent of which Sentry API stores it.

Both translations (bot/alerts/sentry_current.py and bot/alerts/sentry_legacy.py) start from
these models; the modal parses into them and the preview evaluates them. Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Generation = Literal["current", "legacy"]


class Trigger(StrEnum):
    NEW_ISSUE = "new_issue"
    REGRESSION = "regression"
    REAPPEARED = "reappeared"
    EVENT_FREQUENCY = "event_frequency"
    USER_FREQUENCY = "user_frequency"


class Metric(StrEnum):
    ERRORS = "errors"
    USERS = "users"
    P95 = "p95"
    P50 = "p50"
    THROUGHPUT = "throughput"
    FAILURE_RATE = "failure_rate"


TRIGGER_LABELS: dict[str, str] = {
    Trigger.NEW_ISSUE: "A new issue is created",
    Trigger.REGRESSION: "An issue regresses (resolved → unresolved)",
    Trigger.REAPPEARED: "An issue reappears (archived → escalating)",
    Trigger.EVENT_FREQUENCY: "An issue has more than N events in M minutes",
    Trigger.USER_FREQUENCY: "An issue affects more than N users in M minutes",
}
FREQUENCY_TRIGGERS = frozenset({Trigger.EVENT_FREQUENCY, Trigger.USER_FREQUENCY})

# Both APIs take the same interval codes for frequency conditions (`1m` … `30d`).
INTERVALS: dict[str, int] = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "1d": 1440, "1w": 10080}
INTERVAL_LABELS: dict[str, str] = {
    "1m": "1 minute",
    "5m": "5 minutes",
    "15m": "15 minutes",
    "1h": "1 hour",
    "1d": "1 day",
    "1w": "1 week",
}
ACTION_INTERVALS: dict[int, str] = {
    5: "5 minutes",
    10: "10 minutes",
    30: "30 minutes",
    60: "1 hour",
    180: "3 hours",
    720: "12 hours",
    1440: "1 day",
}
LEVELS: dict[str, int] = {"debug": 10, "info": 20, "warning": 30, "error": 40, "fatal": 50}
AGE_UNITS = ("minute", "hour", "day", "week")

DATASET_LABELS = {"errors": "Errors", "spans": "Spans (performance)"}
METRICS_BY_DATASET: dict[str, tuple[Metric, ...]] = {
    "errors": (Metric.ERRORS, Metric.USERS),
    "spans": (Metric.P95, Metric.P50, Metric.THROUGHPUT, Metric.FAILURE_RATE),
}
METRIC_LABELS: dict[str, str] = {
    Metric.ERRORS: "Number of errors",
    Metric.USERS: "Users affected",
    Metric.P95: "p95 span duration (ms)",
    Metric.P50: "p50 span duration (ms)",
    Metric.THROUGHPUT: "Throughput (spans per window)",
    Metric.FAILURE_RATE: "Failure rate (%)",
}
# Windows the legacy API accepts (minutes); the current API takes the same in seconds.
WINDOWS: dict[int, str] = {
    1: "1 minute",
    5: "5 minutes",
    10: "10 minutes",
    15: "15 minutes",
    30: "30 minutes",
    60: "1 hour",
    120: "2 hours",
    240: "4 hours",
    1440: "1 day",
}
NOTIFY_LABELS = {
    "slack": "A Slack channel (Sentry's Slack integration)",
    "dexter": "Notify this channel through Dexter (Dexter's cards)",
    "team": "Email a team",
    "member": "Email a member",
    "issue_owners": "Email the issue owners",
}
MAX_NAME = 200  # monitors take 200 characters, alerts 256
MAX_QUERY = 500


class Target(BaseModel):
    """Whom a rule notifies. `id`: Slack channel id, Sentry team id, or Sentry user id."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["slack", "dexter", "team", "member", "issue_owners"]
    id: str | None = None
    name: str = ""  # channel name without '#', team slug, or member name
    # Sentry's Slack integration; for `dexter`, the uuid of Dexter's integration installation
    integration_id: str | None = None

    def describe(self) -> str:
        """`#alerts in Slack`, `team #core by email`, …"""
        if self.kind == "slack":
            return f"#{self.name or self.id} in Slack"
        if self.kind == "dexter":
            return f"#{self.name or self.id} through Dexter"
        if self.kind == "team":
            return f"team #{self.name} by email"
        if self.kind == "member":
            return f"{self.name or 'a member'} by email"
        return "the issue owners by email"


class IssueAlert(BaseModel):
    """Fires per issue when the trigger happens and every filter matches."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["issue"] = "issue"
    name: str
    project_id: str
    project: str
    environment: str | None = None
    trigger: Trigger = Trigger.NEW_ISSUE
    threshold: int | None = None  # N of the frequency triggers
    interval: str | None = None  # M of the frequency triggers, a key of INTERVALS
    level: str | None = None  # the event's level is at least this
    tag_key: str | None = None
    tag_value: str | None = None
    age_comparison: Literal["older", "newer"] | None = None
    age_value: int | None = None
    age_unit: Literal["minute", "hour", "day", "week"] | None = None
    action_interval: int = 30  # minutes between notifications for one issue
    target: Target

    @property
    def projects(self) -> list[str]:
        return [self.project]


class MetricAlert(BaseModel):
    """Fires when an aggregate over a time window crosses a threshold."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["metric"] = "metric"
    name: str
    project_id: str
    project: str
    environment: str | None = None
    dataset: Literal["errors", "spans"] = "errors"
    metric: Metric = Metric.ERRORS
    query: str = ""
    window: int = 60  # minutes
    direction: Literal["above", "below"] = "above"
    critical: float
    warning: float | None = None
    resolve: float | None = None
    target: Target

    @property
    def projects(self) -> list[str]:
        return [self.project]

    def breaches(self, value: float, threshold: float) -> bool:
        """Whether a value is past a threshold in the rule's direction."""
        return value > threshold if self.direction == "above" else value < threshold

    def resolved(self, value: float) -> bool:
        """Whether a value resolves an open alert (the resolve threshold or, without one,
        no longer breaching the lowest threshold)."""
        if self.resolve is None:
            lowest = self.warning if self.warning is not None else self.critical
            return not self.breaches(value, lowest)
        return value <= self.resolve if self.direction == "above" else value >= self.resolve


AlertRule = Annotated[IssueAlert | MetricAlert, Field(discriminator="kind")]


def problems(rule: IssueAlert | MetricAlert) -> dict[str, str]:
    """Rule-level mistakes by model field name (the modal shows them on the field)."""
    out: dict[str, str] = {}
    if not rule.name.strip():
        out["name"] = "Give the rule a name."
    elif len(rule.name) > MAX_NAME:
        out["name"] = f"Keep the name under {MAX_NAME} characters."
    if rule.environment and any(c.isspace() for c in rule.environment):
        out["environment"] = "An environment name has no spaces, e.g. `production`."
    if rule.target.kind != "issue_owners" and not rule.target.id:
        out["target"] = "Choose whom to notify."
    if isinstance(rule, IssueAlert):
        out.update(_issue_problems(rule))
    else:
        out.update(_metric_problems(rule))
    return out


def _issue_problems(rule: IssueAlert) -> dict[str, str]:
    out: dict[str, str] = {}
    if rule.trigger in FREQUENCY_TRIGGERS:
        if rule.threshold is None or rule.threshold < 1:
            out["threshold"] = "Enter a whole number of at least 1."
        if rule.interval not in INTERVALS:
            out["interval"] = "Choose a time interval."
    if bool(rule.tag_key) != bool(rule.tag_value):
        field = "tag_value" if rule.tag_key else "tag_key"
        out[field] = "Give both the tag and its value, or neither."
    if rule.tag_key and any(c.isspace() for c in rule.tag_key):
        out["tag_key"] = "A tag key has no spaces, e.g. `browser.name`."
    if rule.age_comparison is not None:
        if rule.age_value is None or rule.age_value < 1:
            out["age_value"] = "Enter a whole number of at least 1."
        if rule.age_unit is None:
            out["age_unit"] = "Choose a unit."
    if rule.level is not None and rule.level not in LEVELS:
        out["level"] = "Choose a level."
    if rule.action_interval not in ACTION_INTERVALS:
        out["action_interval"] = "Choose how often to notify."
    return out


def _metric_problems(rule: MetricAlert) -> dict[str, str]:
    out: dict[str, str] = {}
    if rule.metric not in METRICS_BY_DATASET[rule.dataset]:
        out["metric"] = f"Choose what to measure on {rule.dataset}."
    if rule.window not in WINDOWS:
        out["window"] = "Choose a time window."
    if len(rule.query) > MAX_QUERY:
        out["query"] = f"Keep the filter under {MAX_QUERY} characters."
    if rule.target.kind == "issue_owners":
        out["target"] = "A metric alert has no issue owners; choose a channel, team or member."
    for field in ("critical", "warning", "resolve"):
        value = getattr(rule, field)
        if value is None:
            continue
        if value < 0:
            out[field] = "Thresholds cannot be negative."
        elif rule.metric == Metric.FAILURE_RATE and value > 1:
            out[field] = "A failure rate is at most 100%."
    if out:
        return out
    word = "below" if rule.direction == "above" else "above"
    if rule.warning is not None and not rule.breaches(rule.critical, rule.warning):
        out["warning"] = f"The warning threshold must be {word} the critical one."
    lowest = rule.warning if rule.warning is not None else rule.critical
    if rule.resolve is not None and rule.breaches(rule.resolve, lowest):
        out["resolve"] = (
            f"The resolve threshold must not be {'above' if word == 'below' else 'below'} "
            f"{format_value(rule, lowest)}, or the alert would never resolve."
        )
    return out


def number(value: float) -> int | float:
    """A threshold as Sentry expects it: an integer when it is whole."""
    return int(value) if value == int(value) else value


def format_value(rule: MetricAlert, value: float) -> str:
    """A threshold or measured value in the metric's own unit."""
    if rule.metric == Metric.FAILURE_RATE:
        return f"{_num(value * 100)}%"
    if rule.metric in (Metric.P95, Metric.P50):
        return f"{_num(value)} ms"
    return _num(value)


def _num(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
