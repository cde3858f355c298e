"""`/dexter digest subscribe dashboard:…`: a Sentry dashboard's widgets as a digest."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import respx

from bot.dashboards.digest import MAX_CHARTS, NOTE_OTHER, WIDGET_BLOCKS, WidgetView, fit
from bot.deps import Deps
from bot.digests import messages as msg
from bot.digests.parse import Target
from bot.slack.render import MAX_MESSAGE_BLOCKS
from tests import dashboard_factories as dbf
from tests import discover_factories as df
from tests.dashboards.support import HOSTILE, BoardSentry
from tests.digests.test_digest_commands import command, post_ts
from tests.digests.test_digest_scheduler import FIRE, replica, shift_for, subscribe, wait_until
from tests.discover.test_discover_e2e import text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver


def rendered(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_subscribe_by_title_pins_the_id_and_send_posts_every_widget(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock = BoardSentry().install(sentry)
    resp = await command(bot, slack, 'digest subscribe dashboard:"checkout HEALTH" weekdays')
    assert "a digest of *dashboard:7 (Checkout health)*, weekdays at 09:00" in resp["text"]
    [sub] = await deps.digests.store.all()
    assert sub.target == Target(dashboard="7")

    resp = await command(bot, slack, f"digest send {sub.id}")
    assert resp["text"] == msg.SENT.format(id=sub.id, channel="C1")
    [post] = slack.of("chat.postMessage")
    blocks = post.args["blocks"]
    shown = text_of(blocks)
    assert blocks[0]["text"]["text"] == "Digest · Checkout health"
    assert "<https://sentry.io/organizations/acme/dashboard/7/|Sentry dashboard>" in shown
    assert post.args["text"] == "Digest for dashboard Checkout health: 6 widgets"
    # a time series: one chart per widget, in the digest's thread
    assert "*Errors &lt;!channel&gt; &lt;https://evil.example|win&gt;* · :chart_with" in shown
    # a table: aligned, headed by the widget's aliases, Sentry's texts escaped
    assert "Page" in shown and "p95" in shown and "count()" in shown
    assert "/checkout/0 &lt;!channel&gt;" in shown and "120 ms       1k" in shown
    # a big number, a widget without a Discover query, and a query Sentry refused
    assert "*Users*\n1.2k" in shown
    link = "<https://sentry.io/organizations/acme/dashboard/7/|"
    assert f"*Crash-free sessions* · {link}{NOTE_OTHER}>" in shown
    assert (
        "*Broken* · Sentry did not answer this widget's query: Invalid query: &lt;!channel&gt;"
        in shown
    )
    assert "<!channel>" not in rendered(blocks) and "<https://evil" not in rendered(blocks)
    assert f"digest `{sub.id}`" in shown

    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args["channel_id"] == "C1" and done.args["thread_ts"] == post_ts(slack)
    titles = [f["title"] for f in done.args["files"]]
    assert titles == [f"Errors {HOSTILE}", "Slow by browser"]
    assert all(png.startswith(b"\x89PNG") for png in slack.uploads.values())

    table = next(
        c
        for c in mock.routes["events"].calls
        if "transaction" in c.request.url.params.get_list("field")
    )
    p = table.request.url.params
    assert p["dataset"] == "spans" and p["sort"] == "-count()" and p["per_page"] == "10"
    assert p.get_list("field") == ["transaction", "p95(span.duration)", "count()"]
    assert p.get_list("project") == ["2"] and "start" in p and "end" in p
    top = next(c for c in mock.routes["series"].calls if c.request.url.params.get_list("groupBy"))
    p = top.request.url.params
    assert p["dataset"] == "spans" and p["yAxis"] == "p95(span.duration)"
    assert p.get_list("groupBy") == ["browser.name"] and p["topEvents"] == "5"
    assert p["sort"] == "-p95(span.duration)" and p["interval"] == "3600"


async def test_permissions_are_the_digest_rules(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    BoardSentry().install(sentry)
    slack.add_user("U2", email="bo@acme.com")
    await command(bot, slack, "digest subscribe dashboard:7")
    [sub] = await deps.digests.store.all()
    for verb in ("send", "unsubscribe"):
        resp = await command(bot, slack, f"digest {verb} {sub.id}", user="U2")
        assert resp["text"] == msg.NOT_ALLOWED.format(owner="U1", id=sub.id)
    assert not slack.of("chat.postMessage")


async def test_unknown_dashboards_and_mixed_targets_are_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    BoardSentry().install(sentry)
    resp = await command(bot, slack, "digest subscribe dashboard:checkout")
    assert resp["text"].startswith("There is no dashboard titled `checkout` in Sentry.")
    assert "Did you mean `checkout health`?" in resp["text"]
    resp = await command(bot, slack, "digest subscribe dashboard:7 team:core")
    assert "shows the dashboard alone" in resp["text"]
    sentry.get(f"{dbf.DASHBOARDS}99/").mock(
        return_value=httpx.Response(404, json={"detail": "Not found"})
    )
    resp = await command(bot, slack, "digest subscribe dashboard:99")
    assert "Not found" in resp["text"]
    assert await deps.digests.store.all() == []


async def test_preview_shows_widgets_without_drawing_charts(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock = BoardSentry().install(sentry)
    resp = await command(bot, slack, "digest preview dashboard:7")
    shown = text_of(resp["blocks"])
    assert resp["response_type"] == "ephemeral" and "preview, only you can see it" in shown
    assert "chart not drawn this time" in shown and "*Users*\n1.2k" in shown
    assert not mock.routes["series"].calls and not slack.of("files.completeUploadExternal")
    assert "`/dexter digest subscribe dashboard:7` posts it on a schedule" in shown


async def test_many_widgets_fit_slacks_limits_and_the_rest_are_listed(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    many = (
        [
            dbf.widget(
                100 + i,
                f"Chart {i} <!here>",
                "area" if i % 2 else "bar",
                queries=[dbf.query(aggregates=["count()"], conditions=f"release:{i}")],
            )
            for i in range(14)
        ]
        + [
            dbf.widget(
                200 + i,
                f"Table {i}",
                "table",
                queries=[
                    dbf.query(
                        columns=["transaction"],
                        aggregates=["count()"],
                        conditions=f"release:t{i}",
                        widget_id=str(200 + i),
                    )
                ],
            )
            for i in range(30)
        ]
        + [
            dbf.widget(
                300 + i,
                f"N{i}",
                "big_number",
                queries=[dbf.query(aggregates=["count()"], conditions=f"release:n{i}")],
            )
            for i in range(40)
        ]
    )
    mock = BoardSentry(board=dbf.dashboard("7", widgets=many), table_rows=40).install(sentry)
    await command(bot, slack, "digest subscribe dashboard:7")
    [sub] = await deps.digests.store.all()
    await command(bot, slack, f"digest send {sub.id}")
    [post] = slack.of("chat.postMessage")
    blocks = post.args["blocks"]
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    hidden = next(b for b in blocks if b.get("block_id") == "dashboard_hidden")["text"]["text"]
    shown = text_of(blocks)
    listed = hidden.count("\n• ")
    assert listed == 20 and "…and" in hidden and "more widgets* did not fit" in hidden
    assert "<!here>" not in rendered(blocks)
    # every widget is either shown or named as not fitting: none disappears
    total = int(hidden.split("*")[1].split()[0])
    assert sum(
        1 for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("*")
    ) - 1 + total == len(many)
    # at most MAX_CHARTS charts are drawn and asked for; widgets that cannot fit are not run
    assert len(mock.routes["series"].calls) == MAX_CHARTS
    asked = len(mock.routes["events"].calls) + len(mock.routes["series"].calls)
    assert asked <= WIDGET_BLOCKS < len(many)
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert len(done.args["files"]) == MAX_CHARTS
    assert "chart not drawn this time" in shown  # the 11th chart onwards


def test_fit_keeps_dashboard_order() -> None:
    views = [
        WidgetView(title=str(i), view="table", display="table", sections=["x"] * 3)
        for i in range(5)
    ]
    shown, hidden = fit(views, budget=9)
    assert [v.title for v in shown] == ["0", "1"] and [v.title for v in hidden] == ["2", "3", "4"]


async def test_scheduled_fire_posts_the_dashboard_with_its_charts(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    BoardSentry().install(sentry)
    feat = replica(deps, slack, shift_for(FIRE, lead=0.5), chart=True)
    sub = await subscribe(feat, "C5", Target(dashboard="7"), created=FIRE - timedelta(hours=1))
    await feat.scheduler.start()
    try:
        await wait_until(lambda: feat.scheduler.stats["sent"] >= 1)
    finally:
        await feat.scheduler.stop()
    [post] = slack.of("chat.postMessage")
    assert (
        post.args["channel"] == "C5"
        and post.args["blocks"][0]["text"]["text"] == "Digest · Checkout health"
    )
    assert f"digest `{sub.id}`" in text_of(post.args["blocks"])
    await asyncio.wait_for(slack.wait_for("files.completeUploadExternal"), 10)
    state = await feat.store.state(sub.id)
    assert state.last_status == "sent" and state.last_fire == FIRE
    assert df.TIMESERIES  # the chart queries went to events-timeseries (schema-checked)


async def test_a_hostile_dashboard_title_is_escaped_in_the_confirmation(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    BoardSentry(board=dbf.dashboard("7", f"Ops {HOSTILE}", widgets=[])).install(sentry)
    resp = await command(bot, slack, "digest subscribe dashboard:7")
    assert "*dashboard:7 (Ops &lt;!channel&gt; &lt;https://evil.example|win&gt;)*" in resp["text"]
    preview = await command(bot, slack, "digest preview dashboard:7")
    assert "this dashboard has no widgets" in text_of(preview["blocks"])
    # the header is plain_text, which Slack never parses for mentions or links
    [header, *rest] = preview["blocks"]
    assert header["text"] == {"type": "plain_text", "text": f"Digest · Ops {HOSTILE}"}
    assert "<!channel>" not in rendered(rest)
