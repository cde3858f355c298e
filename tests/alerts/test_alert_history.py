"""The preview's history queries against a mocked Sentry (requests schema-validated)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import respx
from httpx import Response

from bot.alerts.rules import IssueAlert, Metric, MetricAlert, Target, Trigger
from bot.alerts.sentry_history import COARSE_BUCKETS, AlertHistory, issue_query
from bot.deps import Deps
from tests import factories as f
from tests import sentry_rules
from tests.alert_helpers import ORG, timeseries, timeseries_response
from tests.sentry_mock import SentryMock

NOW = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
TEAM = Target(kind="team", id="10", name="core")


def history(deps: Deps) -> AlertHistory:
    return AlertHistory(deps.sentry, clock=lambda: NOW)


def test_issue_query_carries_every_filter() -> None:
    rule = IssueAlert(
        name="x",
        project_id="2",
        project="backend",
        trigger=Trigger.NEW_ISSUE,
        level="warning",
        tag_key="url",
        tag_value="https://acme.io/a b",
        age_comparison="older",
        age_value=3,
        age_unit="hour",
        target=TEAM,
    )
    assert issue_query(rule) == (
        'firstSeen:-7d level:[warning,error,fatal] url:"https://acme.io/a b" firstSeen:+3h'
    )


async def test_one_minute_windows_are_split_into_requests_sentry_accepts(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    rule = MetricAlert(
        name="x", project_id="2", project="backend", window=1, critical=5, target=TEAM
    )

    def chunk(request: httpx.Request) -> Response:
        start = datetime.fromisoformat(request.url.params["start"]).timestamp()
        return timeseries_response(timeseries([1.0, 9.0, 1.0], start=start, step=60))

    route = sentry.get(ORG + "events-timeseries/").mock(side_effect=chunk)
    preview = await history(deps).preview(rule)
    assert route.call_count == 3  # 10080 one-minute buckets, at most 5000 per request
    spans = [(c.request.url.params["start"], c.request.url.params["end"]) for c in route.calls]
    assert spans[0][0] == "2026-02-23T12:30:00+00:00"
    assert spans[-1][1] == "2026-03-02T12:30:00+00:00"
    assert all(spans[i][1] == spans[i + 1][0] for i in range(2))
    assert preview.fires == 3  # one rise per chunk, merged in time order
    assert preview.series == [1.0, 9.0, 1.0] * 3


async def test_bursts_count_per_issue_and_skip_the_other_series(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    rule = IssueAlert(
        name="x",
        project_id="2",
        project="backend",
        trigger=Trigger.USER_FREQUENCY,
        threshold=10,
        interval="5m",
        action_interval=10,
        environment="production",
        target=TEAM,
    )
    t0 = NOW.timestamp() - 7 * 86400
    other = timeseries([99.0] * 4, start=t0, step=300)
    other["meta"]["isOther"] = True
    route = sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(
            # five windows over the threshold → notified at 0, 10 and 20 minutes
            timeseries([11.0, 12.0, 13.0, 14.0, 15.0], start=t0, step=300, group="A-1"),
            timeseries([0.0, 50.0, 0.0], start=t0, step=300, group="A-2"),
            other,
        )
    )
    preview = await history(deps).preview(rule)
    assert preview.fires == 3 + 1
    params = route.calls[0].request.url.params
    assert params["yAxis"] == "count_unique(user)" and params["sort"] == "-count_unique(user)"
    assert params["environment"] == "production" and params["topEvents"] == "10"
    assert "2 of the 2 busiest issues had more than 10 users in 5 minutes" in preview.lines[0]


async def test_issue_counts_without_a_hit_count_are_a_lower_bound(
    deps: Deps, sentry_mock: SentryMock
) -> None:
    rule = IssueAlert(
        name="x", project_id="2", project="backend", trigger=Trigger.REAPPEARED, target=TEAM
    )
    sentry_mock.issues(
        [{"id": str(i)} for i in range(100)],
        headers=f.link_header("organizations/acme/issues/", "0:100:0"),
    )
    preview = await history(deps).preview(rule)
    assert (preview.fires, preview.at_least) == (100, True)
    assert "is:escalating" in preview.lines[0]


async def test_failure_rate_series_are_fractions(deps: Deps, sentry: respx.MockRouter) -> None:
    rule = MetricAlert(
        name="x",
        project_id="2",
        project="backend",
        dataset="spans",
        metric=Metric.FAILURE_RATE,
        critical=0.05,
        window=60,
        target=TEAM,
    )
    route = sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(timeseries([0.01, 0.2, 0.03], start=0, step=3600))
    )
    preview = await history(deps).preview(rule)
    assert preview.fires == 1 and "Highest value: 20%." in preview.lines
    assert route.calls[0].request.url.params["yAxis"] == "failure_rate()"


def burst_rule(interval: str = "1m") -> IssueAlert:
    return IssueAlert(
        name="x",
        project_id="2",
        project="backend",
        trigger=Trigger.EVENT_FREQUENCY,
        threshold=50,
        interval=interval,
        action_interval=60,
        target=TEAM,
    )


def per_minute_sentry(per_minute: dict[int, float]) -> object:
    """events-timeseries as Sentry's source answers it: in the bucket size it chooses
    (tests/sentry_rules.py timeseries_rollup), summing one issue's per-minute counts."""

    def answer(request: httpx.Request) -> Response:
        rollup = sentry_rules.timeseries_rollup(request)
        start = int(datetime.fromisoformat(request.url.params["start"]).timestamp())
        end = int(datetime.fromisoformat(request.url.params["end"]).timestamp())
        values = [
            float(sum(v for t, v in per_minute.items() if b <= t < b + rollup))
            for b in range(start, end, rollup)
        ]
        return timeseries_response(timeseries(values, start=start, step=rollup, group="A-1"))

    return answer


async def test_top_events_previews_ask_for_buckets_sentry_will_not_coarsen(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    """With topEvents=10 Sentry allows 1,000 buckets a request; asked for 5,000 one-minute
    buckets it answers hourly ones, and 40 events a minute for 20 minutes would look like 800
    over a 50-a-minute threshold."""
    t0 = int(NOW.timestamp()) // 60 * 60 - 3 * 86400
    burst = {t0 + 60 * i: 40.0 for i in range(20)}
    route = sentry.get(ORG + "events-timeseries/").mock(side_effect=per_minute_sentry(burst))
    preview = await history(deps).preview(burst_rule("1m"))
    assert preview.unavailable is None
    assert preview.fires == 0, preview.lines  # never more than 50 in one minute
    assert route.call_count == 11  # 10,080 minutes, at most 1,000 buckets each
    for call in route.calls:
        params = call.request.url.params
        assert params["topEvents"] == "10" and params["interval"] == "60"
        assert sentry_rules.timeseries_rollup(call.request) == 60

    burst = {t0 + 60 * i: 60.0 for i in range(3)}  # over the threshold in three minutes
    sentry.get(ORG + "events-timeseries/").mock(side_effect=per_minute_sentry(burst))
    assert (await history(deps).preview(burst_rule("1m"))).fires == 1  # one per hour at most


async def test_buckets_other_than_asked_give_no_preview_rather_than_a_wrong_one(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    """Should Sentry coarsen anyway, its `meta.interval` says so: no misleading count."""
    t0 = NOW.timestamp() - 7 * 86400
    sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(timeseries([900.0] * 3, start=t0, step=3600, group="A"))
    )
    preview = await history(deps).preview(burst_rule("5m"))
    assert preview.fires == 0
    assert preview.unavailable == COARSE_BUCKETS.format(asked="5-minute", got="1-hour")
