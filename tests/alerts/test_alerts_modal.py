"""`/dexter alert create`: modal → field updates → preview → confirm → created, for both kinds
and both Sentry API generations. Every Sentry request is validated against its schema by the
`sentry` fixture."""

from __future__ import annotations

import asyncio

import respx
from httpx import Response

from bot.core import messages
from bot.deps import Deps
from tests.alert_helpers import (
    ADMIN,
    HOUR,
    ORG,
    block_ids,
    bodies,
    channel_named,
    choose,
    last_view,
    link,
    mock_org,
    open_form,
    paths,
    submit,
    texts,
    timeseries,
    timeseries_response,
    unexpected,
    week_start,
)
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock


async def test_issue_alert_on_current_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    legacy = unexpected(sentry, r"/(alert-)?rules/$")
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create issue project:backend")
    assert form["callback_id"] == "alert_form"
    assert "alert_threshold" not in block_ids(form)
    assert "alert_channel" in block_ids(form)  # Sentry's Slack integration is installed

    await choose(bot, form, "alert_trigger", "event_frequency")
    await slack.wait_for("views.update", 2)
    form = last_view(slack)
    assert {"alert_threshold", "alert_interval"} <= set(block_ids(form))
    assert slack.of("views.update")[-1].args["view_id"] == "V1"

    start = week_start()
    busy = [0.0] * 168
    busy[10:13] = [150, 240, 130]  # three hours over 100 events
    timeseries_route = sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(
            timeseries(busy, start=start, step=HOUR, group="BACKEND-1"),
            timeseries(([20.0] * 168), start=start, step=HOUR, group="BACKEND-2"),
        )
    )
    answer = await submit(
        bot,
        form,
        {
            "alert_name": "Checkout bursts",
            "alert_threshold": "100",
            "alert_interval": "1h",
            "alert_level": "error",
        },
    )
    assert answer["response_action"] == "update", answer
    preview = answer["view"]
    assert preview["callback_id"] == "alert_confirm"
    shown = texts(preview)
    assert "would have fired *3* times" in shown
    assert "more than 100 events in 1 hour in `backend`" in shown
    assert "#alerts in Slack" in shown
    params = timeseries_route.calls[0].request.url.params
    assert params["dataset"] == "errors" and params["groupBy"] == "issue"
    assert params["interval"] == "3600" and params["query"] == "level:[error,fatal]"

    sentry.get(ORG + "detectors/").mock(
        return_value=Response(
            200, json=[{"id": "31", "type": "metric_issue"}, {"id": "9", "type": "issue_stream"}]
        )
    )
    created = sentry.post(ORG + "workflows/").mock(return_value=Response(201, json={"id": "123"}))
    done = await submit(bot, preview)
    assert done["response_action"] == "update"
    assert "Created *Checkout bursts*" in texts(done["view"])
    [body] = bodies(created)
    assert body["detector_ids"] == [9] and body["owner"] == "user:500"
    assert body["triggers"]["conditions"] == []
    [group] = body["action_filters"]
    assert group["conditions"][0] == {
        "type": "event_frequency_count",
        "comparison": {"value": 100, "interval": "1h"},
        "conditionResult": True,
    }
    assert group["actions"][0]["integrationId"] == "77"
    assert group["actions"][0]["config"]["targetIdentifier"] == "C1"

    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C1"
    announced = texts(post.args["blocks"])
    assert "<@U1> created the issue alert" in announced
    assert "https://sentry.io/organizations/acme/monitors/alerts/123/" in announced
    assert not legacy.called


async def test_metric_alert_on_current_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack, "perf")
    form = await open_form(bot, slack, "alert create metric project:backend")
    assert "alert_metric.errors" in block_ids(form)

    await choose(bot, form, "alert_dataset", "spans")
    await slack.wait_for("views.update", 2)
    form = last_view(slack)
    metric_block = next(b for b in form["blocks"] if b.get("block_id") == "alert_metric.spans")
    assert [o["value"] for o in metric_block["element"]["options"]] == [
        "p95",
        "p50",
        "throughput",
        "failure_rate",
    ]

    values = [300.0] * 168
    values[20:23] = [900, 950, 450]  # critical, stays open above the resolve threshold of 400
    values[50] = 600  # warning
    values[100:102] = [1200, 100]  # critical again, then resolved
    route = sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(timeseries(values, start=week_start(), step=HOUR))
    )
    answer = await submit(
        bot,
        form,
        {
            "alert_name": "Checkout p95",
            "alert_metric": "p95",
            "alert_query": "transaction:/checkout",
            "alert_critical": "800",
            "alert_warning": "500",
            "alert_resolve": "400",
        },
    )
    preview = answer["view"]
    shown = texts(preview)
    assert "would have fired *3* times" in shown, shown
    assert "2 critical and 1 warning" in shown and "Highest value: 1,200 ms" in shown
    params = route.calls[0].request.url.params
    assert (params["dataset"], params["yAxis"]) == ("spans", "p95(span.duration)")
    assert params["query"] == "transaction:/checkout"

    detector = sentry.post(ORG + "projects/backend/detectors/").mock(
        return_value=Response(201, json={"id": "31", "type": "metric_issue"})
    )
    workflow = sentry.post(ORG + "workflows/").mock(return_value=Response(201, json={"id": "124"}))
    done = await submit(bot, preview)
    assert "Created *Checkout p95*" in texts(done["view"])
    [d] = bodies(detector)
    assert d["type"] == "metric_issue"
    assert d["data_sources"][0]["aggregate"] == "p95(span.duration)"
    assert d["data_sources"][0]["timeWindow"] == 3600
    assert [c["comparison"] for c in d["condition_group"]["conditions"]] == [800, 500, 400]
    [w] = bodies(workflow)
    assert w["detector_ids"] == [31]
    assert w["action_filters"][0]["actions"][0]["config"]["targetDisplay"] == "perf"
    # a priority level, not `true`: current Sentry refuses the schema's example with a 400
    conditions = w["action_filters"][0]["conditions"]
    assert [c["comparison"] for c in conditions] == [50, 50]
    assert paths(sentry, "POST").index("/api/0/" + ORG + "projects/backend/detectors/") == 0
    await slack.wait_for("chat.postMessage")


async def test_failed_alert_removes_its_monitor_and_shows_sentrys_message(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create metric project:backend")
    sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(timeseries([1.0] * 168, start=week_start(), step=HOUR))
    )
    preview = (await submit(bot, form, {"alert_name": "Errors", "alert_critical": "50"}))["view"]
    sentry.post(ORG + "projects/backend/detectors/").mock(
        return_value=Response(201, json={"id": "31"})
    )
    workflow = sentry.post(ORG + "workflows/").mock(
        return_value=Response(400, json={"actionFilters": ["Slack channel #alerts not found"]})
    )
    removed = sentry.delete(ORG + "detectors/31/").mock(return_value=Response(204))

    answer = await submit(bot, preview)
    view = answer["view"]
    assert view["callback_id"] == "alert_form"  # back on the form, nothing half-created
    assert removed.call_count == 1
    ids = [b.get("block_id") for b in view["blocks"]]
    notice = view["blocks"][ids.index("alert_channel") + 1]
    assert notice["type"] == "context"
    assert (
        "Sentry did not accept the rule: actionFilters: Slack channel #alerts not found"
        in (notice["elements"][0]["text"])
    )
    assert not slack.of("chat.postMessage")

    # Once Sentry accepts it, the same preview can still create the rule (the once-only
    # token was released on failure).
    workflow.mock(return_value=Response(201, json={"id": "125"}))
    done = await submit(bot, preview)
    assert "Created *Errors*" in texts(done["view"])


async def test_double_submit_creates_one_rule(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    deps: Deps,
) -> None:
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create project:backend")
    sentry_mock.issues([], headers={"X-Hits": "4"})
    preview = (await submit(bot, form, {"alert_name": "New issues"}))["view"]
    assert "would have fired *4* times" in texts(preview)
    sentry.get(ORG + "detectors/").mock(
        return_value=Response(200, json=[{"id": "9", "type": "issue_stream"}])
    )
    created = sentry.post(ORG + "workflows/").mock(return_value=Response(201, json={"id": "5"}))
    first, second = await asyncio.gather(submit(bot, preview), submit(bot, preview))
    assert created.call_count == 1
    titles = sorted(a["view"]["title"]["text"] for a in (first, second))
    assert titles == ["Alert rule created", "Already submitted"]
    assert messages.ALERT_DUPLICATE in texts(first["view"]) + texts(second["view"])


async def test_issue_alert_on_legacy_sentry(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    deps: Deps,
) -> None:
    mock_org(sentry, generation="legacy")
    detectors = unexpected(sentry, r"/detectors/")
    await link(deps, ADMIN)
    channel_named(slack, "oncall")
    form = await open_form(bot, slack, "alert create issue project:backend")
    await choose(bot, form, "alert_trigger", "regression")
    await slack.wait_for("views.update", 2)
    form = last_view(slack)
    issues = sentry_mock.issues([], headers={"X-Hits": "12"})
    answer = await submit(
        bot,
        form,
        {
            "alert_name": "Regressions",
            "alert_environment": "production",
            "alert_action_interval": "60",
        },
    )
    preview = answer["view"]
    assert "would have fired *12* times" in texts(preview)
    assert "Sentry's alert rules" in texts(preview)
    params = issues.calls[0].request.url.params
    assert params["query"] == "is:regressed" and params["environment"] == "production"

    created = sentry.post("projects/acme/backend/rules/").mock(
        return_value=Response(201, json={"id": "42", "name": "Regressions"})
    )
    done = await submit(bot, preview)
    assert "Created *Regressions*" in texts(done["view"])
    [body] = bodies(created)
    assert body["conditions"] == [
        {"id": "sentry.rules.conditions.regression_event.RegressionEventCondition"}
    ]
    assert body["frequency"] == 60 and body["environment"] == "production"
    assert body["actions"][0]["channel"] == "#oncall" and body["actions"][0]["workspace"] == 77
    [post] = await slack.wait_for("chat.postMessage")
    assert "alerts/rules/backend/42/details/" in texts(post.args["blocks"])
    # Legacy Sentry is only asked on legacy paths (after the probe that found no workflows).
    assert not detectors.called
    assert [p for p in paths(sentry, "POST")] == ["/api/0/projects/acme/backend/rules/"]


async def test_metric_alert_on_legacy_sentry_emails_a_team(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry, generation="legacy", slack=False)
    await link(deps, ADMIN)
    form = await open_form(bot, slack, "alert create project:backend")
    assert "alert_notify.issue" in block_ids(form)  # no Slack integration: issue owners
    await choose(bot, form, "alert_kind", "metric")
    await slack.wait_for("views.update", 2)
    form = last_view(slack)
    assert "alert_trigger" not in block_ids(form) and "alert_critical" in block_ids(form)
    assert "alert_channel" not in block_ids(form) and "alert_team" in block_ids(form)
    users = [3.0] * (168 * 4)
    users[100] = 80
    sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(timeseries(users, start=week_start(), step=900))
    )
    answer = await submit(
        bot,
        form,
        {
            "alert_name": "Users hit",
            "alert_metric": "users",
            "alert_window": "15",
            "alert_critical": "50",
            "alert_team": "10:core",
        },
    )
    preview = answer["view"]
    assert "would have fired *1* time (about 0.1 a day)." in texts(preview)
    created = sentry.post(ORG + "alert-rules/").mock(
        return_value=Response(201, json={"id": "77", "name": "Users hit"})
    )
    await submit(bot, preview)
    [body] = bodies(created)
    assert body["aggregate"] == "count_unique(user)" and body["timeWindow"] == 15
    assert body["triggers"][0]["actions"] == [
        {"type": "email", "targetType": "team", "targetIdentifier": "10"}
    ]
    assert [p for p in paths(sentry, "POST")] == ["/api/0/" + ORG + "alert-rules/"]


async def test_a_preview_sentry_cannot_compute_still_lets_the_rule_be_created(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create metric project:backend")
    sentry.get(ORG + "events-timeseries/").mock(return_value=Response(503))
    preview = (await submit(bot, form, {"alert_name": "Errors", "alert_critical": "5"}))["view"]
    assert preview["callback_id"] == "alert_confirm"
    assert "*No preview:* Sentry is not answering" in texts(preview)
    sentry.post(ORG + "projects/backend/detectors/").mock(
        return_value=Response(201, json={"id": "31"})
    )
    sentry.post(ORG + "workflows/").mock(return_value=Response(201, json={"id": "126"}))
    done = await submit(bot, preview)
    assert "Created *Errors*" in texts(done["view"])
