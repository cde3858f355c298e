"""Alert rules in plain words: the summary shown in the preview and the announcement."""

from __future__ import annotations

from bot.alerts.rules import (
    ACTION_INTERVALS,
    INTERVAL_LABELS,
    METRIC_LABELS,
    WINDOWS,
    IssueAlert,
    MetricAlert,
    Trigger,
    format_value,
)


def _where(rule: IssueAlert | MetricAlert) -> str:
    env = f" ({rule.environment})" if rule.environment else ""
    return f"`{rule.project}`{env}"


def describe(rule: IssueAlert | MetricAlert) -> str:
    """The rule in one or two plain sentences (mrkdwn-safe apart from user text)."""
    if isinstance(rule, MetricAlert):
        return _describe_metric(rule)
    return _describe_issue(rule)


def _describe_issue(rule: IssueAlert) -> str:
    interval = INTERVAL_LABELS.get(rule.interval or "", rule.interval or "")
    when = {
        Trigger.NEW_ISSUE: "a new issue is created",
        Trigger.REGRESSION: "an issue regresses",
        Trigger.REAPPEARED: "an archived issue reappears",
        Trigger.EVENT_FREQUENCY: f"an issue has more than {rule.threshold} events in {interval}",
        Trigger.USER_FREQUENCY: f"an issue affects more than {rule.threshold} users in {interval}",
    }[rule.trigger]
    filters: list[str] = []
    if rule.level:
        filters.append(f"the event's level is at least {rule.level}")
    if rule.tag_key:
        filters.append(f"the tag `{rule.tag_key}` is `{rule.tag_value}`")
    if rule.age_comparison:
        unit = rule.age_unit or "day"
        filters.append(
            f"the issue is {rule.age_comparison} than {rule.age_value} {unit}"
            f"{'' if rule.age_value == 1 else 's'}"
        )
    where = " and ".join(filters)
    text = f"When {when} in {_where(rule)}" + (f" and {where}" if where else "")
    every = ACTION_INTERVALS.get(rule.action_interval, f"{rule.action_interval} minutes")
    return f"{text}, notify {rule.target.describe()}, at most once every {every} per issue."


def _describe_metric(rule: MetricAlert) -> str:
    what = METRIC_LABELS[rule.metric].split(" (")[0].lower()
    window = WINDOWS.get(rule.window, f"{rule.window} minutes")
    query = f" matching `{rule.query}`" if rule.query else ""
    word = rule.direction
    levels = f"{format_value(rule, rule.critical)} (critical)"
    if rule.warning is not None:
        levels += f" or {format_value(rule, rule.warning)} (warning)"
    text = (
        f"When the {what} of {_where(rule)}{query} over {window} goes {word} {levels}, "
        f"notify {rule.target.describe()}."
    )
    if rule.resolve is not None:
        back = "at or below" if rule.direction == "above" else "at or above"
        text += f" Resolve when it is back {back} {format_value(rule, rule.resolve)}."
    return text
