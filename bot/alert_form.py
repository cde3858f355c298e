"""The alert rule modal's inputs: read Slack's view state, turn it into a rule, and back.

Pure: the handler does the I/O (project lookups, channel names, Sentry) around these.
Option values carry what the rule needs, so parsing needs no lookups:
project `<id>:<slug>`, team `<id>:<slug>`, member `<Sentry user id>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.alert_rules import (
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
    IssueAlert,
    Metric,
    MetricAlert,
    Target,
    Trigger,
    problems,
)
from bot.ids import AlertField as F


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


def defaults(
    kind: str,
    *,
    project: tuple[str, str] | None,
    channel_id: str,
    has_slack: bool,
) -> Values:
    """The values a fresh form starts with."""
    v: Values = {
        F.KIND: Choice(kind),
        F.TRIGGER: Choice(Trigger.NEW_ISSUE),
        F.INTERVAL: Choice("1h"),
        F.ACTION_INTERVAL: Choice("30"),
        F.AGE: Choice("any"),
        F.DATASET: Choice("errors"),
        F.METRIC: Choice(Metric.ERRORS),
        F.WINDOW: Choice("60"),
        F.DIRECTION: Choice("above"),
        F.NOTIFY: Choice("slack" if has_slack else "issue_owners" if kind == "issue" else "team"),
    }
    if project:
        v[F.PROJECT] = Choice(f"{project[0]}:{project[1]}", project[1])
    if has_slack and channel_id:
        v[F.CHANNEL] = Choice(channel_id)
    return v


def kind_of(values: Values) -> str:
    return "metric" if _get(values, F.KIND) == "metric" else "issue"


def notify_choices(kind: str, has_slack: bool) -> list[tuple[str, str]]:
    """The notification options a form offers."""
    keys = ["slack"] if has_slack else []
    keys += ["team", "member"] + (["issue_owners"] if kind == "issue" else [])
    return [(k, NOTIFY_LABELS[k]) for k in keys]


def notify_of(values: Values, has_slack: bool) -> str:
    """The chosen notification, falling back to the first one offered."""
    offered = [k for k, _ in notify_choices(kind_of(values), has_slack)]
    chosen = _get(values, F.NOTIFY)
    return chosen if chosen in offered else offered[0]


def normalize(values: Values, has_slack: bool) -> Values:
    """The values with dependent choices valid again (a metric of the chosen dataset, a
    notification the form offers)."""
    out = dict(values)
    allowed = METRICS_BY_DATASET.get(_get(out, F.DATASET) or "errors", ())
    if allowed and _get(out, F.METRIC) not in allowed:
        out[F.METRIC] = Choice(allowed[0])
    out[F.NOTIFY] = Choice(notify_of(out, has_slack))
    return out


def block_id(field: str, values: Values) -> str:
    """A field's block id; selects whose options change get a suffix so Slack resets them."""
    if field == F.METRIC:
        return f"{field}.{_get(values, F.DATASET) or 'errors'}"
    if field == F.NOTIFY:
        return f"{field}.{kind_of(values)}"
    return str(field)


def visible(values: Values, has_slack: bool) -> list[str]:
    """The fields the form shows for the current choices, in order."""
    out: list[str] = [F.KIND, F.NAME, F.PROJECT, F.ENVIRONMENT]
    if kind_of(values) == "issue":
        out.append(F.TRIGGER)
        if _get(values, F.TRIGGER) in (Trigger.EVENT_FREQUENCY, Trigger.USER_FREQUENCY):
            out += [F.THRESHOLD, F.INTERVAL]
        out += [F.LEVEL, F.TAG_KEY, F.TAG_VALUE, F.AGE]
        if _get(values, F.AGE) in ("older", "newer"):
            out += [F.AGE_VALUE, F.AGE_UNIT]
        out.append(F.ACTION_INTERVAL)
    else:
        out += [F.DATASET, F.METRIC, F.QUERY, F.WINDOW, F.DIRECTION]
        out += [F.CRITICAL, F.WARNING, F.RESOLVE]
    out.append(F.NOTIFY)
    target = {"slack": F.CHANNEL, "team": F.TEAM, "member": F.MEMBER}
    notify = notify_of(values, has_slack)
    if notify in target:
        out.append(target[notify])
    return out


def options(values: Values) -> dict[str, list[tuple[str, str]]]:
    """The static select options by field (metrics depend on the dataset)."""
    dataset = _get(values, F.DATASET) or "errors"
    return {
        F.KIND: [("issue", "Issue alert"), ("metric", "Metric alert")],
        F.TRIGGER: [(str(k), v) for k, v in TRIGGER_LABELS.items()],
        F.INTERVAL: list(INTERVAL_LABELS.items()),
        F.LEVEL: [(k, f"At least {k}") for k in LEVELS if k != "debug"],
        F.AGE: [("any", "Any age"), ("older", "Older than"), ("newer", "Newer than")],
        F.AGE_UNIT: [(u, f"{u}s") for u in AGE_UNITS],
        F.ACTION_INTERVAL: [(str(k), v) for k, v in ACTION_INTERVALS.items()],
        F.DATASET: list(DATASET_LABELS.items()),
        F.METRIC: [(str(m), METRIC_LABELS[m]) for m in METRICS_BY_DATASET.get(dataset, ())],
        F.WINDOW: [(str(k), v) for k, v in WINDOWS.items()],
        F.DIRECTION: [("above", "Above"), ("below", "Below")],
    }


def _get(values: Values, field: str) -> str | None:
    choice = values.get(field)
    return choice.value if choice else None


def _split(value: str | None) -> tuple[str, str]:
    ident, _, rest = (value or "").partition(":")
    return ident, rest


def _number(values: Values, field: str, errors: dict[str, str], *, whole: bool) -> float | None:
    raw = _get(values, field)
    if raw is None:
        return None
    try:
        number = float(raw.replace(",", ""))
    except ValueError:
        errors[field] = "Enter a number."
        return None
    if whole and number != int(number):
        errors[field] = "Enter a whole number."
        return None
    return number


def _target(values: Values, meta: FormMeta, channel_name: str | None) -> Target:
    notify = notify_of(values, meta.s is not None)
    if notify == "slack":
        channel = _get(values, F.CHANNEL)
        return Target(kind="slack", id=channel, name=channel_name or "", integration_id=meta.s)
    if notify == "team":
        team_id, slug = _split(_get(values, F.TEAM))
        return Target(kind="team", id=team_id or None, name=slug)
    if notify == "member":
        choice = values.get(F.MEMBER)
        return Target(
            kind="member", id=choice.value if choice else None, name=choice.label if choice else ""
        )
    return Target(kind="issue_owners")


def to_rule(
    values: Values, meta: FormMeta, *, channel_name: str | None = None
) -> tuple[IssueAlert | MetricAlert | None, dict[str, str]]:
    """The rule the form describes, or the problems by field (AlertField value)."""
    errors: dict[str, str] = {}
    project_id, project = _split(_get(values, F.PROJECT))
    if not project:
        errors[F.PROJECT] = "Choose a project."
    common: dict[str, Any] = {
        "name": _get(values, F.NAME) or "",
        "project_id": project_id,
        "project": project,
        "environment": _get(values, F.ENVIRONMENT),
        "target": _target(values, meta, channel_name),
    }
    rule: IssueAlert | MetricAlert | None = None
    try:
        if kind_of(values) == "issue":
            rule = _issue(values, common, errors)
        else:
            rule = _metric(values, common, errors)
    except ValidationError as exc:
        for err in exc.errors():
            field = f"alert_{err['loc'][0]}" if err["loc"] else F.NAME
            errors.setdefault(field if field in set(F) else F.NAME, "Check this value.")
    except ValueError:  # a choice that is not one of the options offered
        errors.setdefault(F.KIND, "The form changed under you; choose again.")
    if rule is not None:
        for key, message in problems(rule).items():
            errors.setdefault(_field_of(key, values, meta), message)
    return (None if errors else rule), errors


def _field_of(key: str, values: Values, meta: FormMeta) -> str:
    if key != "target":
        return f"alert_{key}"
    notify = notify_of(values, meta.s is not None)
    return {"slack": F.CHANNEL, "team": F.TEAM, "member": F.MEMBER}.get(notify, F.NOTIFY)


def _issue(values: Values, common: dict[str, Any], errors: dict[str, str]) -> IssueAlert | None:
    trigger = _get(values, F.TRIGGER) or Trigger.NEW_ISSUE
    frequency = trigger in (Trigger.EVENT_FREQUENCY, Trigger.USER_FREQUENCY)
    threshold = _number(values, F.THRESHOLD, errors, whole=True) if frequency else None
    age = _get(values, F.AGE)
    aged = age in ("older", "newer")
    age_value = _number(values, F.AGE_VALUE, errors, whole=True) if aged else None
    if errors.keys() - {F.PROJECT}:
        return None
    level = _get(values, F.LEVEL)
    return IssueAlert(
        **common,
        trigger=Trigger(trigger),
        threshold=int(threshold) if threshold is not None else None,
        interval=_get(values, F.INTERVAL) if frequency else None,
        level=level,
        tag_key=_get(values, F.TAG_KEY),
        tag_value=_get(values, F.TAG_VALUE),
        age_comparison=age if aged else None,
        age_value=int(age_value) if age_value is not None else None,
        age_unit=_get(values, F.AGE_UNIT) if aged else None,
        action_interval=int(_get(values, F.ACTION_INTERVAL) or 30),
    )


def _metric(values: Values, common: dict[str, Any], errors: dict[str, str]) -> MetricAlert | None:
    metric = Metric(_get(values, F.METRIC) or Metric.ERRORS)
    scale = 100.0 if metric == Metric.FAILURE_RATE else 1.0  # failure rate is typed in %
    numbers = {
        f: _number(values, f, errors, whole=False) for f in (F.CRITICAL, F.WARNING, F.RESOLVE)
    }
    if numbers[F.CRITICAL] is None and F.CRITICAL not in errors:
        errors[F.CRITICAL] = "Enter the critical threshold."
    if errors.keys() - {F.PROJECT}:
        return None
    critical, warning, resolve = (None if n is None else n / scale for n in numbers.values())
    assert critical is not None
    return MetricAlert(
        **common,
        dataset=_get(values, F.DATASET) or "errors",
        metric=metric,
        query=_get(values, F.QUERY) or "",
        window=int(_get(values, F.WINDOW) or 60),
        direction=_get(values, F.DIRECTION) or "above",
        critical=critical,
        warning=warning,
        resolve=resolve,
    )


def from_rule(rule: IssueAlert | MetricAlert) -> Values:
    """The form values that describe a rule (the preview's Edit button)."""
    v: Values = {
        F.KIND: Choice(rule.kind),
        F.NAME: Choice(rule.name),
        F.PROJECT: Choice(f"{rule.project_id}:{rule.project}", rule.project),
        F.NOTIFY: Choice(rule.target.kind),
        F.AGE: Choice("any"),
    }
    if rule.environment:
        v[F.ENVIRONMENT] = Choice(rule.environment)
    t = rule.target
    if t.kind == "slack" and t.id:
        v[F.CHANNEL] = Choice(t.id)
    elif t.kind == "team":
        v[F.TEAM] = Choice(f"{t.id}:{t.name}", f"#{t.name}")
    elif t.kind == "member":
        v[F.MEMBER] = Choice(t.id or "", t.name)
    pairs: dict[str, object] = {}
    if isinstance(rule, IssueAlert):
        pairs = {
            F.TRIGGER: rule.trigger,
            F.THRESHOLD: rule.threshold,
            F.INTERVAL: rule.interval,
            F.LEVEL: rule.level,
            F.TAG_KEY: rule.tag_key,
            F.TAG_VALUE: rule.tag_value,
            F.AGE: rule.age_comparison or "any",
            F.AGE_VALUE: rule.age_value,
            F.AGE_UNIT: rule.age_unit,
            F.ACTION_INTERVAL: rule.action_interval,
        }
    else:
        scale = 100.0 if rule.metric == Metric.FAILURE_RATE else 1.0
        pairs = {
            F.DATASET: rule.dataset,
            F.METRIC: rule.metric,
            F.QUERY: rule.query or None,
            F.WINDOW: rule.window,
            F.DIRECTION: rule.direction,
            F.CRITICAL: _plain(rule.critical * scale),
            F.WARNING: None if rule.warning is None else _plain(rule.warning * scale),
            F.RESOLVE: None if rule.resolve is None else _plain(rule.resolve * scale),
        }
    v.update({k: Choice(str(x)) for k, x in pairs.items() if x is not None})
    return v


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:.6g}"
