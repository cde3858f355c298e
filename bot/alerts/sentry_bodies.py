"""Request bodies for Sentry's Alerts (`workflows/`) and Monitors (`detectors/`).

Bodies follow the request schemas of `organizations/{org}/workflows/` and
`organizations/{org}/projects/{project}/detectors/`: top-level keys in snake case (the
schema names them so, and requires `logic_type`; Sentry also accepts camel case), nested
conditions and actions as the schema's descriptions document them. Pure.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.rules import (
    INTERVALS,
    LEVELS,
    IssueAlert,
    Metric,
    MetricAlert,
    Target,
    Trigger,
    number,
)

TRIGGER_CONDITIONS = {
    Trigger.NEW_ISSUE: "first_seen_event",
    Trigger.REGRESSION: "regression_event",
    Trigger.REAPPEARED: "reappeared_event",
}
HIGH, MEDIUM, OK = 75, 50, 0  # priorities a metric monitor opens/resolves issues with

# Data sources as the monitor documentation lists them per measurement.
ERRORS_SOURCE = {"dataset": "events", "eventTypes": ["default", "error"], "queryType": 0}
SPANS_SOURCE = {
    "dataset": "events_analytics_platform",
    "eventTypes": ["trace_item_span"],
    "queryType": 1,
    "extrapolationMode": "unknown",
}
AGGREGATES = {
    Metric.ERRORS: "count()",
    Metric.USERS: "count_unique(tags[sentry:user])",
    Metric.P95: "p95(span.duration)",
    Metric.P50: "p50(span.duration)",
    Metric.THROUGHPUT: "count(span.duration)",
    Metric.FAILURE_RATE: "failure_rate()",
}


def _condition(kind: str, comparison: Any, result: Any = True) -> dict[str, Any]:
    return {"type": kind, "comparison": comparison, "conditionResult": result}


def action(target: Target) -> dict[str, Any]:
    """A workflow action for the rule's target."""
    if target.kind == "slack":
        return {
            "type": "slack",
            "integrationId": target.integration_id,
            "data": {},
            "config": {
                "targetType": "specific",
                "targetIdentifier": target.id or "",
                "targetDisplay": target.name,
            },
            "status": "active",
        }
    if target.kind == "dexter":
        # The sentry-app action as Sentry's validator takes it
        # (src/sentry/notifications/notification_action/action_validation.py,
        # SentryAppActionValidatorHandler.clean_data, and its test's valid data: config
        # `sentry_app_identifier`, `targetType`, `target_identifier`; data `settings`). Named by
        # installation uuid, which Sentry turns into the app's id itself; it then calls the
        # app's alert-rule-action endpoint with the settings (Dexter's channel check).
        return {
            "type": "sentry_app",
            "integrationId": None,
            "data": {"settings": [{"name": "channel", "value": target.id}]},
            "config": {
                "sentry_app_identifier": "sentry_app_installation_uuid",
                "targetType": "sentry_app",
                "target_identifier": target.integration_id,
            },
            "status": "active",
        }
    if target.kind == "issue_owners":
        config = {"targetType": "issue_owners", "targetDisplay": None, "targetIdentifier": ""}
        data = {"fallthroughType": "ActiveMembers"}
    else:
        kind = "user" if target.kind == "member" else "team"
        config = {"targetType": kind, "targetDisplay": None, "targetIdentifier": target.id}
        data = {}
    return {
        "type": "email",
        "integrationId": None,
        "data": data,
        "config": config,
        "status": "active",
    }


def issue_filters(rule: IssueAlert) -> list[dict[str, Any]]:
    """Action filter conditions: frequency, level, tag and issue age."""
    out: list[dict[str, Any]] = []
    if rule.trigger == Trigger.EVENT_FREQUENCY:
        out.append(
            _condition(
                "event_frequency_count", {"value": rule.threshold, "interval": rule.interval}
            )
        )
    elif rule.trigger == Trigger.USER_FREQUENCY:
        out.append(
            _condition(
                "event_unique_user_frequency_count",
                {"value": rule.threshold, "filters": [], "interval": rule.interval},
            )
        )
    if rule.level:
        out.append(_condition("level", {"level": LEVELS[rule.level], "match": "gte"}))
    if rule.tag_key:
        out.append(
            _condition(
                "tagged_event", {"key": rule.tag_key, "match": "eq", "value": rule.tag_value}
            )
        )
    if rule.age_comparison:
        comparison = {
            "time": rule.age_unit,
            "value": rule.age_value,
            "comparisonType": rule.age_comparison,
        }
        out.append(_condition("age_comparison", comparison))
    return out


def issue_workflow_body(rule: IssueAlert, detector_id: str, owner: str | None) -> dict[str, Any]:
    """The workflow for an issue alert over the project's issue stream monitor."""
    assert rule.trigger in TRIGGER_CONDITIONS or rule.interval in INTERVALS
    # State changes are triggers; frequency conditions are action filters (documented so),
    # and with no trigger conditions the workflow is evaluated for every event.
    triggers = (
        [_condition(TRIGGER_CONDITIONS[rule.trigger], True)]
        if rule.trigger in TRIGGER_CONDITIONS
        else []
    )
    body: dict[str, Any] = {
        "name": rule.name,
        "enabled": True,
        "detector_ids": [int(detector_id)],
        "environment": rule.environment,
        "config": {"frequency": rule.action_interval},
        "triggers": {"logic_type": "any-short", "conditions": triggers},
        "action_filters": [
            {
                "logicType": "all",
                "conditions": issue_filters(rule),
                "actions": [action(rule.target)],
            }
        ],
    }
    if owner:
        body["owner"] = owner
    return body


def detector_body(rule: MetricAlert, owner: str | None) -> dict[str, Any]:
    """The `metric_issue` monitor of a metric alert."""
    source: dict[str, Any] = {
        "aggregate": AGGREGATES[rule.metric],
        "query": rule.query,
        "timeWindow": rule.window * 60,  # seconds here; minutes in the legacy API
        **(ERRORS_SOURCE if rule.dataset == "errors" else SPANS_SOURCE),
    }
    if rule.environment:
        source["environment"] = rule.environment
    # The documentation spells out the "above" case: `gt` opens, `lte` resolves. "Below" is
    # its mirror image: `lt` opens, `gte` resolves.
    above = rule.direction == "above"
    opens, closes = ("gt", "lte") if above else ("lt", "gte")
    conditions = [_condition(opens, number(rule.critical), HIGH)]
    if rule.warning is not None:
        conditions.append(_condition(opens, number(rule.warning), MEDIUM))
    lowest = rule.warning if rule.warning is not None else rule.critical
    resolve = rule.resolve if rule.resolve is not None else lowest
    conditions.append(_condition(closes, number(resolve), OK))
    body: dict[str, Any] = {
        "name": rule.name,
        "type": "metric_issue",
        "enabled": True,
        "data_sources": [source],
        "config": {"detectionType": "static"},
        "condition_group": {"logic_type": "any", "conditions": conditions},
    }
    if owner:
        body["owner"] = owner
    return body


def metric_workflow_body(rule: MetricAlert, detector_id: str, owner: str | None) -> dict[str, Any]:
    """The workflow that notifies when the monitor opens (or de-escalates) a metric issue."""
    priority = MEDIUM if rule.warning is not None else HIGH
    body: dict[str, Any] = {
        "name": rule.name,
        "enabled": True,
        "detector_ids": [int(detector_id)],
        "environment": rule.environment,
        "config": {"frequency": 0},
        "triggers": {"logic_type": "any-short", "conditions": []},
        "action_filters": [
            {
                "logicType": "any-short",
                "conditions": [
                    _condition("issue_priority_greater_or_equal", priority),
                    # A priority level, as for the filter above; the schema's example still
                    # shows `true`, which current Sentry refuses with a 400
                    # (src/sentry/workflow_engine/handlers/condition/
                    # issue_priority_deescalating_handler.py: comparison_json_schema).
                    _condition("issue_priority_deescalating", priority),
                ],
                "actions": [action(rule.target)],
            }
        ],
    }
    if owner:
        body["owner"] = owner
    return body
