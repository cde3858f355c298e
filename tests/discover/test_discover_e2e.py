"""`/dexter discover` end to end: signed Slack requests → app → respx Sentry → fake Slack."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import httpx
import pytest
import respx

from bot.core import messages
from bot.core.ids import Action
from bot.slack.sealed import seal_model, unseal_model
from handlers.discover import run as discover_run
from handlers.discover.modal import FORM_EXPIRED, BuilderMeta
from tests import discover_factories as df
from tests import factories as f
from tests.discover.test_charts import png_size
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock
from tests.settings_factory import SLACK_SIGNING_SECRET

EXAMPLE = "title, count(), count_unique(user) where level:error sort -count() last 24h"


def text_of(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        for e in b.get("elements") or []:
            parts.append(e.get("text") if isinstance(e.get("text"), str) else "")
    return "\n".join(parts)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["text"]["text"]: e.get("value", "")
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }


def mock_events(sentry: respx.MockRouter, total: int = 60) -> respx.Route:
    return sentry.get(df.EVENTS).mock(side_effect=df.paged_events(total, df.error_rows))


async def test_query_renders_a_table_with_paging_chart_and_export(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = mock_events(sentry)
    reply = await bot.command(f"discover {EXAMPLE}")
    assert reply.status == 200 and reply.elapsed < 3
    [resp] = await slack.wait_for("response")
    assert resp["response_type"] == "ephemeral"
    shown = text_of(resp["blocks"])
    assert "*Discover* · count(), count_unique(user) by title · in errors" in shown
    assert "where `level:error` · highest count() first · last 24 hours" in shown
    assert re.search(r"\nZeroDivisionError: division by zero #0 +5k +300\n", shown)
    assert "25 rows on this page · more on the next page" in shown
    assert list(buttons(resp["blocks"])) == ["Next page", "Chart", "Export CSV"]
    params = route.calls.last.request.url.params
    assert params.get_list("field") == ["title", "count()", "count_unique(user)"]
    assert (params["dataset"], params["statsPeriod"], params["per_page"]) == ("errors", "24h", "25")

    await bot.action(Action.DISCOVER_NEXT_PAGE, value=buttons(resp["blocks"])["Next page"])
    [_, page2] = await slack.wait_for("response", 2)
    assert page2["replace_original"] is True
    assert "· page 2" in text_of(page2["blocks"])
    assert "#25" in text_of(page2["blocks"])
    assert route.calls.last.request.url.params["cursor"] == "0:25:0"


async def test_chart_button_uploads_a_png_of_the_top_groups(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_events(sentry)
    series = sentry.get(df.TIMESERIES).mock(
        return_value=httpx.Response(200, json=df.timeseries(["a", "b", "c", "d", "e"]))
    )
    await bot.command(f"discover {EXAMPLE}")
    [resp] = await slack.wait_for("response")
    await bot.action(Action.DISCOVER_CHART, value=buttons(resp["blocks"])["Chart"], channel="C9")
    [done] = await slack.wait_for("files.completeUploadExternal", timeout=20)
    assert done.args["channel_id"] == "C9"
    assert "count() by title" in done.args["initial_comment"]
    [png] = slack.uploads.values()
    assert png_size(png) == (1200, 600)
    params = series.calls.last.request.url.params
    assert params["yAxis"] == "count()" and params.get_list("groupBy") == ["title"]
    assert (params["topEvents"], params["sort"], params["excludeOther"]) == ("5", "-count()", "1")


async def test_export_button_shows_progress_and_uploads_a_capped_csv(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discover_run, "PROGRESS_INTERVAL", 0.0)
    mock_events(sentry, total=12_000)
    await bot.command(f"discover {EXAMPLE}")
    [resp] = await slack.wait_for("response")
    await bot.action(Action.DISCOVER_EXPORT, value=buttons(resp["blocks"])["Export CSV"])
    [done] = await slack.wait_for("files.completeUploadExternal", timeout=30)
    answers = await slack.wait_for("response", 1 + 1 + 3 + 1)
    updates = answers[1:]
    assert all(u["replace_original"] for u in updates)
    assert len(updates) <= 5  # a response_url takes five messages
    progress = [text_of(u["blocks"]) for u in updates]
    assert "Exporting CSV… (up to 10,000 rows)" in progress[0]
    assert "Exporting CSV… 500 rows so far (up to 10,000)" in progress[1]
    assert "ZeroDivisionError" in progress[1]  # the table stays while exporting
    final = text_of(updates[-1]["blocks"])
    assert "Exported 10000 rows to CSV. The export stops at 10,000 rows" in final
    assert "Export CSV" in buttons(updates[-1]["blocks"])
    [data] = slack.uploads.values()
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert len(rows) == 10_002 and rows[-1][0].startswith("# Export capped at 10,000 rows")
    assert "<@U1> exported" in done.args["initial_comment"]


async def test_export_keyword_and_chart_keyword(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_events(sentry, total=120)
    await bot.command(f"discover {EXAMPLE} export")
    await slack.wait_for("files.completeUploadExternal", timeout=20)
    answers = await slack.wait_for("response", 2)
    assert answers[0]["text"].startswith("Exporting CSV…")
    assert answers[-1]["text"] == "Exported 120 rows to CSV."
    assert answers[-1]["replace_original"] is True
    [data] = slack.uploads.values()
    assert data.decode().count("\n") == 121

    sentry.get(df.TIMESERIES).mock(return_value=httpx.Response(200, json=df.timeseries(["a"])))
    await bot.command("discover count() in errors last 7d chart public")
    await slack.wait_for("files.completeUploadExternal", 2, timeout=20)
    table = (await slack.wait_for("response", 3))[-1]
    assert table["response_type"] == "in_channel"


async def test_sentry_400_names_the_offending_part_with_a_hint(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(df.EVENTS).mock(
        return_value=httpx.Response(400, json={"detail": "Invalid query. Unknown function: p9000"})
    )
    await bot.command("discover title, p9000(span.duration)")
    [resp] = await slack.wait_for("response")
    text = resp["text"]
    assert text.startswith("Sentry did not accept that query: Invalid query. Unknown function")
    assert "The problem is with `p9000(span.duration)`." in text
    assert "Fields in `errors` include" in text and "Span fields need `in spans`" in text


async def test_empty_result_and_grammar_errors_are_plain(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(df.EVENTS).mock(return_value=httpx.Response(200, json=df.events([], ["count()"])))
    await bot.command("discover count() where level:fatal")
    [resp] = await slack.wait_for("response")
    assert messages.DISCOVER_EMPTY in text_of(resp["blocks"])
    assert "Export CSV" not in buttons(resp["blocks"])
    await bot.command("discover title in transactions")
    [_, err] = await slack.wait_for("response", 2)
    assert "no `transactions` dataset" in err["text"]
    assert len(sentry.calls) == 1


async def test_builder_modal_opens_and_runs_what_is_submitted(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    # respx records only requests a route answers: watch every one until the modal is open
    sentry.route(name="anything").respond(404, json={"detail": "Not found"})
    await bot.command("discover")
    [opened] = await slack.wait_for("views.open")
    assert opened.args["trigger_id"].startswith("trig")
    view = opened.args["view"]
    assert view["callback_id"] == "discover_builder"
    meta = unseal_model(SLACK_SIGNING_SECRET, BuilderMeta, view["private_metadata"])
    assert meta is not None and meta.channel == "C1"
    assert meta.response_url.endswith("/response/cmd1")
    assert not sentry.routes.pop("anything").called  # nothing asked before the modal is open

    bad = await bot.view_submission(
        "discover_builder", {}, private_metadata=view["private_metadata"]
    )
    assert json.loads(bad.body)["response_action"] == "errors"

    sentry_mock.projects([f.project(2, "backend"), f.project(3, "web")])
    opts = await bot.options(Action.DISCOVER_PROJECTS, "back")
    assert [o["value"] for o in json.loads(opts.body)["options"]] == ["backend"]

    route = mock_events(sentry)
    values = {
        "dq_dataset": {"value": {"type": "static_select", "selected_option": {"value": "errors"}}},
        "dq_fields": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"value": "title"}, {"value": "count()"}],
            }
        },
        "dq_more_fields": {"value": {"type": "plain_text_input", "value": "count_unique(user)"}},
        "dq_query": {"value": {"type": "plain_text_input", "value": "level:error"}},
        "dq_sort": {"value": {"type": "plain_text_input", "value": None}},
        "dq_period": {"value": {"type": "static_select", "selected_option": {"value": "7d"}}},
        "dq_projects": {
            "discover_projects": {
                "type": "multi_external_select",
                "selected_options": [{"value": "backend"}],
            }
        },
        "dq_env": {"value": {"type": "plain_text_input", "value": "production"}},
        "dq_options": {"value": {"type": "checkboxes", "selected_options": [{"value": "public"}]}},
    }
    ok = await bot.view_submission(
        "discover_builder", values, private_metadata=view["private_metadata"]
    )
    assert ok.status == 200 and not ok.body
    [posted] = await slack.wait_for("chat.postMessage")
    assert posted.args["channel"] == "C1"
    assert "in errors · where `level:error`" in text_of(posted.args["blocks"])
    assert "project backend · env production" in text_of(posted.args["blocks"])
    params = route.calls.last.request.url.params
    assert params.get_list("project") == ["2"] and params["statsPeriod"] == "7d"
    assert params.get_list("environment") == ["production"]


async def test_a_builder_that_cannot_open_is_explained(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    slack.on("views.open", {"ok": False, "error": "expired_trigger_id"})
    await bot.command("discover")
    [reply] = await slack.wait_for("response")
    assert reply["text"] == messages.MODAL_NOT_OPENED.format(error="expired_trigger_id")
    assert not sentry.calls  # nothing asked of Sentry for a form nobody sees


async def test_a_builder_submitted_after_the_response_url_expired_still_answers(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    await bot.command("discover")
    [opened] = await slack.wait_for("views.open")
    slack.expired.add("cmd1")  # submitted more than 30 minutes later
    mock_events(sentry)
    values = {
        "dq_dataset": {"value": {"type": "static_select", "selected_option": {"value": "errors"}}},
        "dq_fields": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"value": "title"}, {"value": "count()"}],
            }
        },
    }
    meta = opened.args["view"]["private_metadata"]
    await bot.view_submission("discover_builder", values, private_metadata=meta)
    [shown] = await slack.wait_for("chat.postEphemeral")
    assert (shown.args["channel"], shown.args["user"]) == ("C1", "U1")
    assert "in errors" in text_of(shown.args["blocks"])
    assert slack.responses == []


async def test_a_builder_answers_only_where_dexter_sealed_it_would(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    # A submission whose private_metadata names another channel and a URL to POST the
    # results to: without Dexter's seal it is not run, and nothing goes anywhere it names.
    mock_events(sentry)
    values = {
        "dq_dataset": {"value": {"type": "static_select", "selected_option": {"value": "errors"}}},
        "dq_fields": {
            "value": {"type": "multi_static_select", "selected_options": [{"value": "title"}]}
        },
    }
    elsewhere = BuilderMeta(channel="C9", response_url=slack.response_url("attacker"))
    forged = elsewhere.model_dump_json()
    tampered = seal_model(SLACK_SIGNING_SECRET, BuilderMeta(channel="C1"))
    tampered = tampered.replace('"C1"', '"C9"')
    for meta in (forged, tampered, seal_model("another-secret", elsewhere)):
        await bot.view_submission("discover_builder", values, private_metadata=meta)
    told = await slack.wait_for("chat.postMessage", 3)
    assert {(c.args["channel"], c.args["text"]) for c in told} == {("U1", FORM_EXPIRED)}
    assert slack.responses == [] and slack.of("chat.postEphemeral") == []
    assert len(sentry.calls) == 0


async def test_uploading_where_dexter_is_not_invited_says_how_to_fix_it(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_events(sentry)
    sentry.get(df.TIMESERIES).mock(return_value=httpx.Response(200, json=df.timeseries(["a"])))
    slack.on("files.completeUploadExternal", {"ok": False, "error": "not_in_channel"})
    await bot.command(f"discover {EXAMPLE} chart")
    answers = await slack.wait_for("response", 2, timeout=20)
    assert answers[-1]["text"] == messages.CANNOT_UPLOAD


async def test_a_failed_export_brings_the_table_back_with_the_reason(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    calls = {"n": 0}
    ok = df.paged_events(500, df.error_rows)

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if request.url.params.get("per_page") == "100":
            return httpx.Response(503, json={"detail": "overloaded"})
        return ok(request)

    sentry.get(df.EVENTS).mock(side_effect=flaky)
    await bot.command(f"discover {EXAMPLE}")
    [resp] = await slack.wait_for("response")
    await bot.action(Action.DISCOVER_EXPORT, value=buttons(resp["blocks"])["Export CSV"])
    answers = await slack.wait_for("response", 3, timeout=20)
    final = answers[-1]
    assert final["replace_original"] is True
    assert "Sentry is not answering, try again in a minute." in text_of(final["blocks"])
    assert "Export CSV" in buttons(final["blocks"])
    assert not slack.of("files.completeUploadExternal")
