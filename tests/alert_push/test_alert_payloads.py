"""Reading alert deliveries and suggested owners: pure, over Sentry's shapes and junk."""

from __future__ import annotations

from typing import Any

import pytest

from bot.alert_push import payloads
from bot.sentry.owners import Suggestion, merge, parse_committers, parse_owners
from tests import alert_factories as af


def test_issue_alert_reads_rule_channel_issue_and_event() -> None:
    fired = payloads.issue_alert(af.event_alert(issue_id=42, rule_id=7, channel="C0ALERTS1"))
    assert fired == payloads.IssueAlertFired(
        rule_id="7",
        rule_title="Checkout errors",
        channel="C0ALERTS1",
        issue_id="42",
        event_id="a" * 32,
        project_id="2",
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"event": "nope"},
        {"event": {"issue_id": "../../etc"}},
        {"event": {"issue_id": True}},
        {"event": {"issue_id": None}, "issue_alert": {"title": "x"}},
    ],
)
def test_issue_alert_without_an_issue_is_none(data: dict[str, Any]) -> None:
    assert payloads.issue_alert(data) is None


def test_issue_alert_tolerates_junk_around_the_issue() -> None:
    data = {"event": {"issue_id": 5}, "triggered_rule": "R", "issue_alert": {"settings": "x"}}
    fired = payloads.issue_alert(data)
    assert fired is not None and fired.channel is None and fired.rule_title == "R"
    assert fired.rule_id is None and fired.issue_id == "5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C0ALERTS1", "C0ALERTS1"),
        ("G0PRIVATE", "G0PRIVATE"),
        ("#general", None),
        ("c0abc", None),
        ("C0ALERTS1|x", None),
        ("", None),
        (None, None),
    ],
)
def test_channel_ids_only(value: str | None, expected: str | None) -> None:
    assert payloads.channel_id(value) == expected


def test_incident_reads_rule_thresholds_and_the_actions_channel() -> None:
    inc = payloads.incident("critical", af.metric_alert(incident_id=31))
    assert inc is not None
    assert (inc.id, inc.identifier, inc.state, inc.rule_name) == (
        "31",
        "12",
        "critical",
        "Too many errors",
    )
    assert [(t.label, t.value) for t in inc.thresholds] == [
        ("critical", 1000.0),
        ("warning", 500.0),
    ]
    assert inc.channel == "C0ALERTS1" and inc.window_minutes == 5 and inc.above
    assert inc.projects == ["backend"] and inc.environment == "production"
    assert inc.started is not None and inc.closed is None


@pytest.mark.parametrize("action", ["triggered", "closed", ""])
def test_incident_with_an_unknown_state_is_none(action: str) -> None:
    assert payloads.incident(action, af.metric_alert()) is None


def test_owner_and_committer_suggestions() -> None:
    owners = parse_owners(af.owners())
    assert owners == [Suggestion("Ann Example", "owner rule", "path:app/billing/*", "user:100")]
    assert parse_committers(af.committers(user_id=None)) == [
        Suggestion("Bob Builder", "suspect commit", "abc1234", None)  # not a member: no button
    ]
    assert parse_owners({"owners": "x"}) == [] and parse_committers(None) == []
    team = parse_owners({"owners": [{"type": "team", "id": "10", "name": "core"}], "rule": None})
    assert team == [Suggestion("core", "owner rule", None, "team:10")]


def test_merge_keeps_owner_rules_first_and_one_entry_per_person() -> None:
    ann_rule = Suggestion("Ann", "owner rule", None, "user:1")
    ann_commit = Suggestion("Ann", "suspect commit", "abc", "user:1")
    bob = Suggestion("Bob", "suspect commit", "def", None)
    assert merge([ann_rule], [ann_commit, bob]) == [ann_rule, bob]
    many = [Suggestion(f"P{i}", "suspect commit", None, f"user:{i}") for i in range(9)]
    assert len(merge(many)) == 3


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://sentry.io/organizations/acme/alerts/rules/details/44/?alert=12", True),
        ("javascript:alert(1)", False),
        ("https://x.example|forged", False),
        ("https://x.example> <!channel", False),
    ],
)
def test_incident_links_are_plain_http_urls(url: str, kept: bool) -> None:
    data = af.metric_alert()
    data["web_url"] = url
    inc = payloads.incident("critical", data)
    assert inc is not None and (inc.web_url == url) is kept
