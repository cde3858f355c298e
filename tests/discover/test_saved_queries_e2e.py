"""`/dexter discover save | run | list | delete` through the real app."""

from __future__ import annotations

import httpx
import respx

from bot.deps import Deps
from bot.slack.workspace_guard import WRONG_WORKSPACE
from tests import discover_factories as df
from tests.discover.test_discover_e2e import text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver


async def test_save_list_run_and_delete(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    route = sentry.get(df.EVENTS).mock(
        return_value=httpx.Response(200, json=df.events(df.error_rows(3)))
    )
    await bot.command(
        "discover save top-errors title, count() where level:error last 7d", user="U1"
    )
    [saved] = await slack.wait_for("response")
    assert saved["text"].startswith("Saved `top-errors`: count() by title · in errors")
    assert "`/dexter discover run top-errors`" in saved["text"]

    await bot.command("discover list")
    listing = (await slack.wait_for("response", 2))[-1]
    shown = text_of(listing["blocks"])
    assert "*Saved queries* · 1 query" in shown
    assert "*top-errors* · by <@U1> · count() by title" in shown

    await bot.command("discover run top-errors", user="U2")
    table = (await slack.wait_for("response", 3))[-1]
    assert "*Saved query `top-errors`* · count() by title" in text_of(table["blocks"])
    assert route.calls.last.request.url.params["statsPeriod"] == "7d"

    await bot.command("discover delete top-errors", user="U2")
    refused = (await slack.wait_for("response", 4))[-1]
    assert refused["text"] == "Only <@U1> (who saved `top-errors`) or an admin can delete it."
    assert [q.name for q in await deps.saved_queries.list("T1")] == ["top-errors"]

    slack.add_user("U3", email="boss@acme.com", admin=True)
    await bot.command("discover delete top-errors", user="U3")
    deleted = (await slack.wait_for("response", 5))[-1]
    assert deleted["text"] == "Deleted the saved query `top-errors`."
    assert await deps.saved_queries.list("T1") == []


async def test_saved_queries_belong_to_their_workspace_and_bad_input_is_explained(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    sentry.get(df.EVENTS).mock(return_value=httpx.Response(200, json=df.events(df.error_rows(1))))
    await bot.command("discover save mine count() last 1h", team="T1")
    await slack.wait_for("response")
    # kept per workspace; another workspace is not even served here (single-workspace mode)
    assert [q.name for q in await deps.saved_queries.list("T1")] == ["mine"]
    assert await deps.saved_queries.list("T2") == []
    other = await bot.command("discover list", team="T2")
    assert other.body == WRONG_WORKSPACE
    await bot.command("discover save only-a-name")
    await bot.command("discover run nope")
    await bot.command("discover run mine loudly")
    answers = await slack.wait_for("response", 4)
    assert answers[1]["text"].startswith("Give a name and a query to save.\nUsage:")
    assert answers[2]["text"].startswith("No saved query `nope`.")
    assert answers[3]["text"].startswith("Unknown option `loudly`.")


async def test_save_refuses_a_query_sentry_would_not_run(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # Sentry is the judge of fields: one row is asked for at save time, as `run` would.
    route = sentry.get(df.EVENTS).mock(
        return_value=httpx.Response(400, json={"detail": "Unknown function: p95(durationn)"})
    )
    await bot.command("discover save slow transaction, p95(durationn) in spans last 7d")
    [refused] = await slack.wait_for("response")
    assert refused["text"].startswith(
        "Not saved: Sentry did not accept that query: Unknown function: p95(durationn)"
    )
    assert "The problem is with `p95(durationn)`." in refused["text"]
    assert await deps.saved_queries.list("T1") == []
    params = route.calls.last.request.url.params
    assert params["per_page"] == "1" and params["dataset"] == "spans"
    assert params.get_list("field") == ["transaction", "p95(durationn)"]
