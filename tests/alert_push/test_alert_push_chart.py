"""A metric incident's chart never costs its message: text from Sentry is drawn as typed, a
chart that cannot be drawn is left out (logged), and a job retried after its message was posted
finishes what is left instead of posting the state again."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import respx
from httpx import Response

from bot.alert_push import incidents, metric
from bot.alert_push.memory import AlertMemory
from bot.core.errors import StateUnavailable
from bot.deps import Deps
from tests import alert_factories as af
from tests.alert_push.test_alert_push import channels, handler, settings  # noqa: F401
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg

MATH = r"message:*cost $\usd$*"  # malformed mathtext: matplotlib raised ValueError drawing it


def series(sentry: respx.MockRouter) -> respx.Route:
    values = [{"timestamp": 1764664200000 + i * 300000, "value": v} for i, v in enumerate([3, 9])]
    meta = {"valueType": "integer", "valueUnit": None, "interval": 300000}
    body = {"timeSeries": [{"yAxis": "count()", "meta": meta, "values": values}]}
    return sentry.get("organizations/acme/events-timeseries/").mock(
        return_value=Response(200, json=body)
    )


def critical(query: str = MATH, name: str = r"Cost in $\USD$ per order") -> dict[str, Any]:
    payload = af.metric_alert()
    payload["metric_alert"]["alert_rule"].update(query=query, name=name)
    return payload


def lines(slack: FakeSlack) -> list[Any]:
    """The replies threaded under the incident message."""
    return [p for p in slack.of("chat.postMessage") if p.args.get("thread_ts")]


async def test_mathtext_in_the_rule_posts_the_message_once_and_its_chart(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deps: Deps,
) -> None:
    channels(slack)
    asked = series(sentry)
    d = af.delivery("metric_alert", "critical", critical())
    await handler(deps, "metric_alert")(d)
    assert asked.calls.last.request.url.params["query"] == MATH
    [post] = slack.of("chat.postMessage")
    assert "thread_ts" not in post.args
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args["thread_ts"] == post.args.get("thread_ts", "1700000000.000001")
    assert done.args["files"][0]["title"].startswith(r"Cost in $\USD$ per order")
    await handler(deps, "metric_alert")(d)  # redelivered: done already
    assert len(slack.of("chat.postMessage")) == 1 and not lines(slack)
    assert len(slack.of("files.completeUploadExternal")) == 1


async def test_a_chart_that_cannot_be_drawn_is_left_out_and_logged(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deps: Deps,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    channels(slack)
    series(sentry)

    def broken(*args: Any, **kw: Any) -> bytes:
        raise ValueError("a drawing bug")

    monkeypatch.setattr(metric, "render_timeseries", broken)
    d = af.delivery("metric_alert", "critical", critical())
    with caplog.at_level(logging.ERROR, logger="bot.alert_push.metric"):
        await handler(deps, "metric_alert")(d)  # does not raise: the job succeeds
    assert len(slack.of("chat.postMessage")) == 1
    assert not slack.of("files.getUploadURLExternal")
    [record] = [r for r in caplog.records if "chart not drawn" in r.getMessage()]
    assert record.exc_info and "a drawing bug" in str(record.exc_info[1])
    assert await AlertMemory(deps.store, deps.sentry).done(d.request_id)


async def test_a_job_failing_after_its_message_is_retried_without_a_second_state_line(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deps: Deps,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    channels(slack)
    series(sentry)
    real = incidents.fetch_chart
    failures = [RuntimeError("worker lost mid-chart")]

    async def flaky(*args: Any, **kw: Any) -> bytes | None:
        if failures:
            raise failures.pop()
        return await real(*args, **kw)

    monkeypatch.setattr(incidents, "fetch_chart", flaky)
    d = af.delivery("metric_alert", "critical", critical())
    with pytest.raises(RuntimeError):
        await handler(deps, "metric_alert")(d)
    assert len(slack.of("chat.postMessage")) == 1
    await handler(deps, "metric_alert")(d)  # the pipeline retries the same delivery
    assert (
        len(slack.of("chat.postMessage")) == 1 and not lines(slack) and not slack.of("chat.update")
    )
    [done] = await slack.wait_for("files.completeUploadExternal")  # the chart, on the retry
    assert done.args["thread_ts"] == "1700000000.000001"

    # the next state threads its line once, even when its job fails after posting it
    resolved = af.delivery("metric_alert", "resolved", af.metric_alert(status=2))
    real_done = AlertMemory.mark_done
    broken = [StateUnavailable("redis went away")]

    async def mark_done(self: AlertMemory, request_id: str) -> None:
        if broken:
            raise broken.pop()
        await real_done(self, request_id)

    monkeypatch.setattr(AlertMemory, "mark_done", mark_done)
    with pytest.raises(StateUnavailable):
        await handler(deps, "metric_alert")(resolved)
    await handler(deps, "metric_alert")(resolved)
    [line] = lines(slack)
    assert "Resolved" in line.args["text"] and len(slack.of("chat.update")) == 1
    assert len(slack.of("files.completeUploadExternal")) == 1
