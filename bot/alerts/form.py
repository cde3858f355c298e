"""The alert rule modal's layout: which fields show for which choices, their options and
defaults, and reading Slack's view state. Parsing into a rule is in bot/alerts/parse.py.

Pure: the handlers do the I/O around these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bot.alerts.rules import (
    ACTION_INTERVALS,
    AGE_UNITS,
    DATASET_LABELS,
    INTERVAL_LABELS,
    LEVELS,
    METRIC_LABELS,
    METRICS_BY_DATASET,
    NOTIFY_LABELS,
    TRIGGER_LABELS,
    WINDOWS,
    AlertRule,
    Generation,
    Metric,
    Trigger,
)
from bot.core.ids import AlertField as F


@dataclass(frozen=True, slots=True)
class Choice:
    """One input's value; `label` is kept for external selects (their initial option)."""

    value: str
    label: str = ""


Values = dict[str, Choice]


class FormMeta(BaseModel):
    """The form's private_metadata (short keys: Slack allows 3000 characters)."""

    c: str  # the channel the rule is announced in
    t: str  # once-only token: a double submit creates one rule
    g: Generation
    s: str | None = None  # Sentry's Slack integration for this workspace
    d: str | None = None  # Dexter's own integration installation (alerts pushed to Dexter)


class ConfirmMeta(FormMeta):
    """The preview's private_metadata: the form's plus the rule to create."""

    r: AlertRule


def read_state(state: dict[str, Any]) -> Values:
    """Slack's `view.state` as field → choice (blocks may carry a suffix; actions do not)."""
    out: Values = {}
    for block in (state.get("values") or {}).values():
        for action_id, el in (block or {}).items():
            choice: Choice | None = None
            if el.get("selected_option"):
                opt = el["selected_option"]
                choice = Choice(str(opt["value"]), str((opt.get("text") or {}).get("text", "")))
            elif el.get("selected_conversation"):
                choice = Choice(str(el["selected_conversation"]))
            elif el.get("value") not in (None, ""):
                choice = Choice(str(el["value"]).strip())
            if choice is not None and choice.value:
                out[action_id] = choice
    return out


SELECT_DEFAULTS: dict[str, str] = {
    F.TRIGGER: Trigger.NEW_ISSUE,
    F.INTERVAL: "1h",
    F.ACTION_INTERVAL: "30",
    F.AGE: "any",
    F.LEVEL: "any",
    F.AGE_UNIT: "day",
    F.DATASET: "errors",
    F.WINDOW: "60",
    F.DIRECTION: "above",
}


def defaults(
    kind: str,
    *,
    project: tuple[str, str] | None,
    channel_id: str,
    has_slack: bool,
    has_dexter: bool = False,
) -> Values:
    """The values a fresh form starts with."""
    v: Values = {F.KIND: Choice(kind), F.METRIC: Choice(Metric.ERRORS)}
    v |= {f: Choice(value) for f, value in SELECT_DEFAULTS.items()}
    first = notify_choices(kind, has_slack, has_dexter=has_dexter)[0][0]
    v[F.NOTIFY] = Choice(
        first if first in CHANNEL_TARGETS else "issue_owners" if kind == "issue" else "team"
    )
    if project:
        v[F.PROJECT] = Choice(f"{project[0]}:{project[1]}", project[1])
    if (has_slack or has_dexter) and channel_id:
        v[F.CHANNEL] = Choice(channel_id)
    return v


def kind_of(values: Values) -> str:
    return "metric" if value_of(values, F.KIND) == "metric" else "issue"


CHANNEL_TARGETS = ("slack", "dexter")  # notifications that pick a Slack channel


def notify_choices(
    kind: str, has_slack: bool, *, has_dexter: bool = False
) -> list[tuple[str, str]]:
    """The notification options a form offers."""
    keys = ["slack"] if has_slack else []
    keys += ["dexter"] if has_dexter else []
    keys += ["team", "member"] + (["issue_owners"] if kind == "issue" else [])
    return [(k, NOTIFY_LABELS[k]) for k in keys]


def notify_of(values: Values, has_slack: bool, *, has_dexter: bool = False) -> str:
    """The chosen notification, falling back to the first one offered."""
    offered = [k for k, _ in notify_choices(kind_of(values), has_slack, has_dexter=has_dexter)]
    chosen = value_of(values, F.NOTIFY)
    return chosen if chosen in offered else offered[0]


def normalize(values: Values, has_slack: bool, *, has_dexter: bool = False) -> Values:
    """The values with defaults for selects not shown before, and dependent choices valid
    again (a metric of the chosen dataset, a notification the form offers)."""
    out = {f: Choice(value) for f, value in SELECT_DEFAULTS.items()} | dict(values)
    allowed = METRICS_BY_DATASET.get(value_of(out, F.DATASET) or "errors", ())
    if allowed and value_of(out, F.METRIC) not in allowed:
        out[F.METRIC] = Choice(allowed[0])
    out[F.NOTIFY] = Choice(notify_of(out, has_slack, has_dexter=has_dexter))
    return out


def block_id(field: str, values: Values) -> str:
    """A field's block id; selects whose options change get a suffix so Slack resets them."""
    if field == F.METRIC:
        return f"{field}.{value_of(values, F.DATASET) or 'errors'}"
    if field == F.NOTIFY:
        return f"{field}.{kind_of(values)}"
    return str(field)


def visible(values: Values, has_slack: bool, *, has_dexter: bool = False) -> list[str]:
    """The fields the form shows for the current choices, in order."""
    out: list[str] = [F.KIND, F.NAME, F.PROJECT, F.ENVIRONMENT]
    if kind_of(values) == "issue":
        out.append(F.TRIGGER)
        if value_of(values, F.TRIGGER) in (Trigger.EVENT_FREQUENCY, Trigger.USER_FREQUENCY):
            out += [F.THRESHOLD, F.INTERVAL]
        out += [F.LEVEL, F.TAG_KEY, F.TAG_VALUE, F.AGE]
        if value_of(values, F.AGE) in ("older", "newer"):
            out += [F.AGE_VALUE, F.AGE_UNIT]
        out.append(F.ACTION_INTERVAL)
    else:
        out += [F.DATASET, F.METRIC, F.QUERY, F.WINDOW, F.DIRECTION]
        out += [F.CRITICAL, F.WARNING, F.RESOLVE]
    out.append(F.NOTIFY)
    target = {"slack": F.CHANNEL, "dexter": F.CHANNEL, "team": F.TEAM, "member": F.MEMBER}
    notify = notify_of(values, has_slack, has_dexter=has_dexter)
    if notify in target:
        out.append(target[notify])
    return out


def options(values: Values) -> dict[str, list[tuple[str, str]]]:
    """The static select options by field (metrics depend on the dataset)."""
    dataset = value_of(values, F.DATASET) or "errors"
    return {
        F.KIND: [("issue", "Issue alert"), ("metric", "Metric alert")],
        F.TRIGGER: [(str(k), v) for k, v in TRIGGER_LABELS.items()],
        F.INTERVAL: list(INTERVAL_LABELS.items()),
        # A chosen option cannot be cleared in Slack, so "any" is an option of its own.
        F.LEVEL: [("any", "Any level")] + [(k, f"At least {k}") for k in LEVELS if k != "debug"],
        F.AGE: [("any", "Any age"), ("older", "Older than"), ("newer", "Newer than")],
        F.AGE_UNIT: [(u, f"{u}s") for u in AGE_UNITS],
        F.ACTION_INTERVAL: [(str(k), v) for k, v in ACTION_INTERVALS.items()],
        F.DATASET: list(DATASET_LABELS.items()),
        F.METRIC: [(str(m), METRIC_LABELS[m]) for m in METRICS_BY_DATASET.get(dataset, ())],
        F.WINDOW: [(str(k), v) for k, v in WINDOWS.items()],
        F.DIRECTION: [("above", "Above"), ("below", "Below")],
    }


def offers_dexter(meta: FormMeta, values: Values) -> bool:
    """Whether the form offers Dexter's own action: an installation is known, and the rule can
    carry a sentry-app action with settings (Alerts, and legacy issue rules; a legacy metric
    rule's sentry-app action needs the app's id as well, which Dexter does not know)."""
    return meta.d is not None and (meta.g == "current" or kind_of(values) == "issue")


def value_of(values: Values, field: str) -> str | None:
    """The raw value of a field, if it has one."""
    choice = values.get(field)
    return choice.value if choice else None
