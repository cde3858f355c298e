"""A dashboard digest goes out whatever its charts hold: a `$…$` in a widget or dashboard title
is drawn as typed, and a chart that cannot be drawn leaves a note instead of failing the digest."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import respx

from bot.dashboards import digest as dashboard_digest
from bot.dashboards.digest import NOTE_CHART_FAILED
from bot.deps import Deps
from bot.digests import messages as msg
from tests import dashboard_factories as dbf
from tests.dashboards.support import BoardSentry
from tests.digests.test_digest_commands import command, post_ts
from tests.discover.test_discover_e2e import text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver

WIDGET = r"Cost in $\USD$ per order"  # malformed mathtext: matplotlib raised ValueError on it
BOARD = r"Checkout $x_1^{2}$"


async def send(bot: SlackDriver, slack: FakeSlack, deps: Deps) -> dict[str, Any]:
    await command(bot, slack, "digest subscribe dashboard:7 weekdays")
    [sub] = await deps.digests.store.all()
    resp = await command(bot, slack, f"digest send {sub.id}")
    assert resp["text"] == msg.SENT.format(id=sub.id, channel="C1")
    return resp


def board() -> dict[str, Any]:
    return dbf.dashboard(
        "7", BOARD, [dbf.widget(1, WIDGET, "line"), dbf.widget(2, "Plain", "line")]
    )


async def test_dollar_signs_in_titles_are_charted_as_typed(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    BoardSentry(board=board()).install(sentry)
    await send(bot, slack, deps)
    [post] = slack.of("chat.postMessage")
    assert r"*Cost in $\USD$ per order* · :chart_with_upwards_trend:" in text_of(
        post.args["blocks"]
    )
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args["thread_ts"] == post_ts(slack)
    assert [f["title"] for f in done.args["files"]] == [WIDGET, "Plain"]
    assert all(png.startswith(b"\x89PNG") for png in slack.uploads.values())


async def test_a_chart_that_cannot_be_drawn_leaves_a_note_and_the_digest_goes_out(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    deps: Deps,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    BoardSentry(board=board()).install(sentry)
    draw = dashboard_digest.charts.render_timeseries

    def broken_for_one(ts: Any, *, title: str, **kw: Any) -> bytes:
        if title == WIDGET:
            raise ValueError("a drawing bug")
        return draw(ts, title=title, **kw)

    monkeypatch.setattr(dashboard_digest.charts, "render_timeseries", broken_for_one)
    with caplog.at_level(logging.ERROR, logger="bot.dashboards.digest"):
        await send(bot, slack, deps)
    [post] = slack.of("chat.postMessage")
    shown = text_of(post.args["blocks"])
    assert f"{NOTE_CHART_FAILED}>" in shown and r"*Cost in $\USD$ per order* · <" in shown
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert [f["title"] for f in done.args["files"]] == ["Plain"]  # the other chart still goes
    [record] = [r for r in caplog.records if "chart not drawn" in r.getMessage()]
    assert record.exc_info and "a drawing bug" in str(record.exc_info[1])
