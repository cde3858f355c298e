"""The alert rule modal's values ↔ a rule, and where Sentry's complaints belong on it.

Option values carry what the rule needs, so parsing needs no lookups:
project `<id>:<slug>`, team `<id>:<slug>`, member `<Sentry user id>`.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from bot.alerts.form import Choice, FormMeta, Values, kind_of, notify_of, offers_dexter, value_of
from bot.alerts.rules import IssueAlert, Metric, MetricAlert, Target, Trigger, problems
from bot.core.ids import AlertField as F


def _split(value: str | None) -> tuple[str, str]:
    ident, _, rest = (value or "").partition(":")
    return ident, rest


def _number(values: Values, field: str, errors: dict[str, str], *, whole: bool) -> float | None:
    raw = value_of(values, field)
    if raw is None:
        return None
    try:
        number = float(raw.replace(",", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        errors[field] = "Enter a number."
        return None
    if whole and number != int(number):
        errors[field] = "Enter a whole number."
        return None
    return number


def _target(values: Values, meta: FormMeta, channel_name: str | None) -> Target:
    notify = notify_of(values, meta.s is not None, has_dexter=offers_dexter(meta, values))
    if notify == "slack":
        channel = value_of(values, F.CHANNEL)
        return Target(kind="slack", id=channel, name=channel_name or "", integration_id=meta.s)
    if notify == "dexter":
        channel = value_of(values, F.CHANNEL)
        return Target(kind="dexter", id=channel, name=channel_name or "", integration_id=meta.d)
    if notify == "team":
        team_id, slug = _split(value_of(values, F.TEAM))
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
    project_id, project = _split(value_of(values, F.PROJECT))
    if not project:
        errors[F.PROJECT] = "Choose a project."
    common: dict[str, Any] = {
        "name": value_of(values, F.NAME) or "",
        "project_id": project_id,
        "project": project,
        "environment": value_of(values, F.ENVIRONMENT),
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
    notify = notify_of(values, meta.s is not None, has_dexter=offers_dexter(meta, values))
    fields = {"slack": F.CHANNEL, "dexter": F.CHANNEL, "team": F.TEAM, "member": F.MEMBER}
    return fields.get(notify, F.NOTIFY)


def _issue(values: Values, common: dict[str, Any], errors: dict[str, str]) -> IssueAlert | None:
    trigger = value_of(values, F.TRIGGER) or Trigger.NEW_ISSUE
    frequency = trigger in (Trigger.EVENT_FREQUENCY, Trigger.USER_FREQUENCY)
    threshold = _number(values, F.THRESHOLD, errors, whole=True) if frequency else None
    age = value_of(values, F.AGE)
    aged = age in ("older", "newer")
    age_value = _number(values, F.AGE_VALUE, errors, whole=True) if aged else None
    if errors.keys() - {F.PROJECT}:
        return None
    level = value_of(values, F.LEVEL)
    level = None if level == "any" else level
    return IssueAlert(
        **common,
        trigger=Trigger(trigger),
        threshold=int(threshold) if threshold is not None else None,
        interval=value_of(values, F.INTERVAL) if frequency else None,
        level=level,
        tag_key=value_of(values, F.TAG_KEY),
        tag_value=value_of(values, F.TAG_VALUE),
        age_comparison=age if aged else None,
        age_value=int(age_value) if age_value is not None else None,
        age_unit=value_of(values, F.AGE_UNIT) if aged else None,
        action_interval=int(value_of(values, F.ACTION_INTERVAL) or 30),
    )


def _metric(values: Values, common: dict[str, Any], errors: dict[str, str]) -> MetricAlert | None:
    metric = Metric(value_of(values, F.METRIC) or Metric.ERRORS)
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
        dataset=value_of(values, F.DATASET) or "errors",
        metric=metric,
        query=value_of(values, F.QUERY) or "",
        window=int(value_of(values, F.WINDOW) or 60),
        direction=value_of(values, F.DIRECTION) or "above",
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
    if t.kind in ("slack", "dexter") and t.id:
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
            F.LEVEL: rule.level or "any",
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


SENTRY_FIELDS = (  # words in Sentry's 400 detail → the field it is about
    (("channel", "workspace", "integration", "target", "action"), "target"),
    (("environment",), F.ENVIRONMENT),
    (("query", "aggregate", "data_source", "datasource", "dataset"), F.QUERY),
    (("threshold", "condition", "trigger"), "threshold"),
    (("frequency",), F.ACTION_INTERVAL),
    (("filter", "tag"), F.TAG_KEY),
    (("name",), F.NAME),
)


def sentry_field(
    detail: str, rule: IssueAlert | MetricAlert, values: Values, meta: FormMeta
) -> str:
    """The form field a Sentry 400 is most likely about."""
    low = detail.lower()
    metric = isinstance(rule, MetricAlert)
    for words, field in SENTRY_FIELDS:
        if not any(w in low for w in words):
            continue
        if field == "target":
            notify = notify_of(values, meta.s is not None)
            return {"slack": F.CHANNEL, "team": F.TEAM, "member": F.MEMBER}.get(notify, F.NOTIFY)
        if field == "threshold":
            return F.CRITICAL if metric else F.TRIGGER
        if field == F.QUERY and not metric:
            continue
        return field
    return F.NAME
