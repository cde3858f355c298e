"""The pure alert rule layer: validation, plain words, replay, the form, and the bodies both
Sentry API generations receive (each validated against its schema)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts import sentry_bodies as current
from bot.alerts import sentry_legacy as legacy
from bot.alerts.form import Choice, FormMeta, defaults, read_state, visible
from bot.alerts.parse import from_rule, to_rule
from bot.alerts.preview import replay_thresholds, throttled_fires
from bot.alerts.rules import (
    ACTION_INTERVALS,
    INTERVALS,
    METRICS_BY_DATASET,
    IssueAlert,
    Metric,
    MetricAlert,
    Target,
    Trigger,
    problems,
)
from bot.alerts.wording import describe
from bot.core.ids import AlertField as F
from tests import sentry_rules, sentry_schema

API = "https://sentry.io/api/0/"
SLACK = Target(kind="slack", id="C42", name="alerts", integration_id="77")
TARGETS = [
    SLACK,
    Target(kind="team", id="10", name="core"),
    Target(kind="member", id="500", name="Ada"),
    Target(kind="issue_owners"),
]


def issue(**kw: Any) -> IssueAlert:
    base: dict[str, Any] = {"name": "New errors", "project_id": "2", "project": "backend"}
    return IssueAlert(**(base | {"target": SLACK} | kw))


def metric(**kw: Any) -> MetricAlert:
    base: dict[str, Any] = {"name": "Errors up", "project_id": "2", "project": "backend"}
    return MetricAlert(**(base | {"critical": 100, "target": SLACK} | kw))


def post(path: str, body: dict[str, Any]) -> None:
    """Validate one POST body against Sentry's schema (current, or legacy for legacy paths)
    and against what Sentry's validators enforce beyond it."""
    request = httpx.Request("POST", API + path, json=body, headers={"Authorization": "Bearer test"})
    sentry_schema.validate(request)
    refused = sentry_rules.refuse(request)
    assert refused is None, refused.json() if refused else None


# --- validation and words -------------------------------------------------------------


def test_problems_name_the_fields() -> None:
    assert problems(issue(name=" ")) == {"name": "Give the rule a name."}
    freq = issue(trigger=Trigger.EVENT_FREQUENCY, threshold=0, interval="2h")
    assert set(problems(freq)) == {"threshold", "interval"}
    assert set(problems(issue(tag_key="browser"))) == {"tag_value"}
    assert set(problems(issue(age_comparison="older"))) == {"age_value", "age_unit"}
    assert "environment" in problems(issue(environment="prod west"))
    owners = metric(target=Target(kind="issue_owners"))
    assert "issue owners" in problems(owners)["target"]


def test_metric_thresholds_must_be_ordered() -> None:
    assert "below the critical" in problems(metric(critical=100, warning=200))["warning"]
    below = metric(direction="below", critical=10, warning=5)
    assert "above the critical" in problems(below)["warning"]
    assert "never resolve" in problems(metric(critical=100, warning=50, resolve=60))["resolve"]
    assert problems(metric(critical=100, warning=50, resolve=40)) == {}
    rate = metric(dataset="spans", metric=Metric.FAILURE_RATE, critical=5)
    assert problems(rate) == {"critical": "A failure rate is at most 100%."}
    assert "metric" in problems(metric(dataset="spans", metric=Metric.ERRORS))


def test_describe_in_plain_words() -> None:
    text = describe(
        issue(
            trigger=Trigger.USER_FREQUENCY,
            threshold=50,
            interval="15m",
            level="error",
            environment="production",
            action_interval=60,
        )
    )
    assert text == (
        "When an issue affects more than 50 users in 15 minutes in `backend` (production) "
        "and the event's level is at least error, notify #alerts in Slack, "
        "at most once every 1 hour per issue."
    )
    rate = metric(
        dataset="spans",
        metric=Metric.FAILURE_RATE,
        critical=0.05,
        resolve=0.01,
        window=5,
        target=Target(kind="team", id="10", name="core"),
    )
    assert describe(rate) == (
        "When the failure rate of `backend` over 5 minutes goes above 5% (critical), "
        "notify team #core by email. Resolve when it is back at or below 1%."
    )


# --- replay -------------------------------------------------------------------------------


def test_replay_counts_rises_and_honours_the_resolve_threshold() -> None:
    rule = metric(critical=100, warning=50, resolve=20)
    values: list[float | None] = [0, 60, 120, 90, 30, 150, 10, None, 55, 10]
    run = replay_thresholds(rule, values)
    # 60 warns; 120 escalates; 90 and 30 keep it open (not yet ≤ 20) at warning level, so 150
    # escalates again; 10 resolves; 55 warns; 10 resolves.
    assert (run.warning, run.critical) == (2, 2)
    assert run.windows == 9 and run.windows_critical == 2 and run.peak == 150


def test_replay_below_direction() -> None:
    rule = metric(direction="below", critical=10)
    run = replay_thresholds(rule, [20, 5, 3, 15, 8, 20])
    assert run.critical == 2 and run.peak == 3


def test_throttle_per_action_interval() -> None:
    assert throttled_fires([0, 60, 300, 600, 601, 2000], 600) == 3
    assert throttled_fires([], 60) == 0


# --- the form -----------------------------------------------------------------------------


def test_read_state_takes_every_element_type() -> None:
    state = {
        "values": {
            "alert_name": {"alert_name": {"type": "plain_text_input", "value": " Checkout "}},
            "alert_metric.spans": {
                "alert_metric": {
                    "type": "static_select",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": "p95"},
                        "value": "p95",
                    },
                }
            },
            "alert_channel": {
                "alert_channel": {"type": "conversations_select", "selected_conversation": "C9"}
            },
            "alert_warning": {"alert_warning": {"type": "number_input", "value": None}},
        }
    }
    assert read_state(state) == {
        "alert_name": Choice("Checkout"),
        "alert_metric": Choice("p95", "p95"),
        "alert_channel": Choice("C9"),
    }


def test_visible_fields_follow_the_choices() -> None:
    v = defaults("issue", project=None, channel_id="C1", has_slack=True)
    assert F.THRESHOLD not in visible(v, True)
    v[F.TRIGGER] = Choice(Trigger.EVENT_FREQUENCY)
    v[F.AGE] = Choice("newer")
    shown = visible(v, True)
    assert {F.THRESHOLD, F.INTERVAL, F.AGE_VALUE, F.AGE_UNIT, F.CHANNEL} <= set(shown)
    v[F.NOTIFY] = Choice("member")
    assert F.MEMBER in visible(v, True) and F.CHANNEL not in visible(v, True)
    m = defaults("metric", project=None, channel_id="C1", has_slack=False)
    assert F.TEAM in visible(m, False) and F.TRIGGER not in visible(m, False)


def test_to_rule_reports_unparseable_numbers_on_their_field() -> None:
    meta = FormMeta(c="C1", t="t", g="current", s=None)
    v = defaults("metric", project=("2", "backend"), channel_id="C1", has_slack=False)
    v |= {F.NAME: Choice("x"), F.CRITICAL: Choice("lots"), F.TEAM: Choice("10:core")}
    rule, errors = to_rule(v, meta)
    assert rule is None and errors == {F.CRITICAL: "Enter a number."}
    del v[F.CRITICAL]
    assert to_rule(v, meta)[1] == {F.CRITICAL: "Enter the critical threshold."}


def test_failure_rate_is_typed_in_percent() -> None:
    meta = FormMeta(c="C1", t="t", g="current", s="77")
    v = defaults("metric", project=("2", "backend"), channel_id="C1", has_slack=True)
    v |= {
        F.NAME: Choice("Failures"),
        F.DATASET: Choice("spans"),
        F.METRIC: Choice("failure_rate"),
        F.CRITICAL: Choice("5"),
        F.WARNING: Choice("2.5"),
    }
    rule, errors = to_rule(v, meta, channel_name="alerts")
    assert errors == {} and isinstance(rule, MetricAlert)
    assert (rule.critical, rule.warning) == (0.05, 0.025)
    assert from_rule(rule)[F.CRITICAL] == Choice("5")


rules = st.one_of(
    st.builds(
        issue,
        trigger=st.sampled_from(list(Trigger)),
        threshold=st.integers(1, 10_000),
        interval=st.sampled_from(list(INTERVALS)),
        level=st.sampled_from([None, "info", "warning", "error", "fatal"]),
        environment=st.sampled_from([None, "production"]),
        action_interval=st.sampled_from(list(ACTION_INTERVALS)),
        target=st.sampled_from(TARGETS),
    ),
    st.builds(
        metric,
        dataset=st.just("spans"),
        metric=st.sampled_from(METRICS_BY_DATASET["spans"]),
        critical=st.integers(10, 10_000).map(float),
        direction=st.sampled_from(["above", "below"]),
        query=st.sampled_from(["", "transaction:/checkout"]),
        target=st.sampled_from(TARGETS[:3]),
    ),
)


@given(rules)
def test_form_round_trip(rule: IssueAlert | MetricAlert) -> None:
    """Edit after preview shows exactly the rule that was previewed."""
    if isinstance(rule, IssueAlert) and rule.trigger not in (
        Trigger.EVENT_FREQUENCY,
        Trigger.USER_FREQUENCY,
    ):
        rule = rule.model_copy(update={"threshold": None, "interval": None})
    if isinstance(rule, MetricAlert) and rule.metric == Metric.FAILURE_RATE:
        rule = rule.model_copy(update={"critical": 0.25})
    meta = FormMeta(c="C1", t="t", g="current", s=rule.target.integration_id)
    again, errors = to_rule(from_rule(rule), meta, channel_name=rule.target.name or None)
    assert errors == {}
    assert again == rule


# --- the bodies Sentry receives -----------------------------------------------------------


@settings(deadline=None, max_examples=60)  # the schema check is slow-ish per body
@given(rules)
def test_every_rule_translates_to_valid_bodies(rule: IssueAlert | MetricAlert) -> None:
    if isinstance(rule, IssueAlert):
        post("organizations/acme/workflows/", current.issue_workflow_body(rule, "9", "user:5"))
        post("projects/acme/backend/rules/", legacy.issue_rule_body(rule, "user:5"))
    else:
        post("organizations/acme/projects/backend/detectors/", current.detector_body(rule, None))
        post("organizations/acme/workflows/", current.metric_workflow_body(rule, "31", None))
        post("organizations/acme/alert-rules/", legacy.metric_rule_body(rule, None))


def test_schema_check_rejects_a_wrong_body() -> None:
    """The validator used above is not a rubber stamp."""
    body = current.issue_workflow_body(issue(), "9", None)
    body["triggers"] = {"logicType": "any-short", "conditions": []}  # camel case: no logic_type
    with pytest.raises(AssertionError, match="logic_type"):
        post("organizations/acme/workflows/", body)
    bad = legacy.metric_rule_body(metric(), None) | {"timeWindow": 7}
    with pytest.raises(AssertionError, match="7 is not one of"):
        post("organizations/acme/alert-rules/", bad)


def test_metric_workflow_deescalation_is_a_priority_level() -> None:
    """Sentry validates `issue_priority_deescalating` as a priority level (25/50/75); the
    schema's example `true` is answered with a 400 (issue_priority_deescalating_handler.py)."""
    for warning, level in ((None, 75), (5.0, 50)):
        body = current.metric_workflow_body(metric(warning=warning), "31", None)
        conditions = body["action_filters"][0]["conditions"]
        assert [(c["type"], c["comparison"]) for c in conditions] == [
            ("issue_priority_greater_or_equal", level),
            ("issue_priority_deescalating", level),
        ]
        post("organizations/acme/workflows/", body)
    conditions[1]["comparison"] = True  # the old form
    with pytest.raises(AssertionError, match="does not match JSON Schema"):
        post("organizations/acme/workflows/", body)


def test_current_issue_alert_shape() -> None:
    rule = issue(
        trigger=Trigger.EVENT_FREQUENCY,
        threshold=100,
        interval="1h",
        tag_key="browser",
        tag_value="Chrome",
        target=Target(kind="member", id="500", name="Ada"),
    )
    body = current.issue_workflow_body(rule, "9", "user:500")
    assert body["detector_ids"] == [9] and body["config"] == {"frequency": 30}
    assert body["triggers"] == {"logic_type": "any-short", "conditions": []}
    [group] = body["action_filters"]
    assert [c["type"] for c in group["conditions"]] == ["event_frequency_count", "tagged_event"]
    assert group["actions"][0]["config"] == {
        "targetType": "user",
        "targetDisplay": None,
        "targetIdentifier": "500",
    }
    new = current.issue_workflow_body(issue(), "9", None)
    assert new["triggers"]["conditions"][0]["type"] == "first_seen_event"


def test_current_metric_below_mirrors_the_documented_above_case() -> None:
    rule = metric(direction="below", critical=10, warning=20, resolve=30)
    conditions = current.detector_body(rule, None)["condition_group"]["conditions"]
    assert [(c["type"], c["comparison"], c["conditionResult"]) for c in conditions] == [
        ("lt", 10, 75),
        ("lt", 20, 50),
        ("gte", 30, 0),
    ]
    above = current.detector_body(metric(critical=100), None)["condition_group"]["conditions"]
    assert [(c["type"], c["comparison"]) for c in above] == [("gt", 100), ("lte", 100)]


def test_legacy_shapes() -> None:
    body = legacy.issue_rule_body(issue(level="warning", environment="prod"), "user:5")
    assert body["conditions"] == [
        {"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}
    ]
    assert body["filters"] == [
        {"id": "sentry.rules.filters.level.LevelFilter", "match": "gte", "level": "30"}
    ]
    assert body["actions"] == [
        {
            "id": "sentry.integrations.slack.notify_action.SlackNotifyServiceAction",
            "workspace": 77,
            "channel": "#alerts",
            "channel_id": "C42",
        }
    ]
    m = legacy.metric_rule_body(
        metric(window=5, warning=50, target=Target(kind="team", id="10", name="core")), None
    )
    assert (m["timeWindow"], m["dataset"], m["queryType"], m["thresholdType"]) == (
        5,
        "events",
        0,
        0,
    )
    assert [t["label"] for t in m["triggers"]] == ["critical", "warning"]
    assert m["triggers"][0]["actions"] == [
        {"type": "email", "targetType": "team", "targetIdentifier": "10"}
    ]
    assert json.dumps(m)  # plain JSON all the way down
