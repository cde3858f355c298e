"""The release card's Chart button: events around the release, deploys marked, uploaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import respx
from httpx import Response

from bot.core.ids import Action
from bot.releases.chart import render_png
from bot.releases.models import SeriesPoint
from tests import release_factories as rf
from tests.factories import now
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver

PNG = b"\x89PNG\r\n\x1a\n"


async def test_chart_button_uploads_png_in_thread(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    deploys = [
        rf.deploy(1, "staging", ago=timedelta(hours=5)),
        rf.deploy(2, ago=timedelta(hours=3)),
    ]
    sentry.get(rf.path("backend@1.5.2")).mock(
        return_value=Response(200, json=rf.release("backend@1.5.2", deploys=deploys))
    )
    sentry.get(rf.path("backend@1.5.2", "deploys")).mock(return_value=Response(200, json=deploys))
    series = sentry.get("organizations/acme/events-timeseries/").mock(
        return_value=Response(200, json=rf.timeseries(now() - timedelta(hours=29), 29))
    )
    await bot.action(
        Action.RELEASE_CHART, value="backend@1.5.2", channel="C7", message_ts="1700000000.000042"
    )
    [complete] = await slack.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C7"
    assert complete.args["thread_ts"] == "1700000000.000042"
    [upload] = slack.of("files.getUploadURLExternal")
    assert upload.args["filename"] == "release-backend-1.5.2.png"
    [data] = slack.uploads.values()
    assert data.startswith(PNG)
    params = series.calls[0].request.url.params
    assert params["dataset"] == "errors" and params["yAxis"] == "count()"
    assert params.get_list("project") == ["2"]
    start = datetime.fromisoformat(params["start"])
    end = datetime.fromisoformat(params["end"])
    first_deploy = now() - timedelta(hours=5)
    assert start == first_deploy - timedelta(hours=24)
    assert end <= datetime.now(UTC) and end - first_deploy <= timedelta(hours=24)


async def test_chart_button_in_a_channel_without_dexter(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(rf.path("backend@1.5.2")).mock(
        return_value=Response(200, json=rf.release("backend@1.5.2"))
    )
    sentry.get(rf.path("backend@1.5.2", "deploys")).mock(return_value=Response(200, json=[]))
    sentry.get("organizations/acme/events-timeseries/").mock(
        return_value=Response(200, json=rf.timeseries(now() - timedelta(hours=26), 26))
    )
    slack.on("files.completeUploadExternal", {"ok": False, "error": "not_in_channel"})
    await bot.action(Action.RELEASE_CHART, value="backend@1.5.2")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith("I couldn't post the chart here (not_in_channel).")


def test_render_png_marks_and_empty_series() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    points = [SeriesPoint(now - timedelta(hours=h), float(h % 4)) for h in range(48, 0, -1)]
    marked = render_png("Errors around 1.5.2", points, [(now - timedelta(hours=24), "production")])
    empty = render_png("Errors around 1.5.2", [], [])
    assert marked.startswith(PNG) and empty.startswith(PNG)
    assert marked != empty
