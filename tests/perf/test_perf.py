"""`/dexter perf`: the overview and one transaction, against schema-validated Sentry mocks."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import respx

from bot.core.errors import UserError
from bot.core.ids import Action
from bot.perf.service import P50, P95, TPM, parse_perf
from tests import discover_factories as df
from tests import factories as f
from tests.discover.test_discover_e2e import buttons, text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock


def txn(name: str, p95: float, tpm: float) -> dict[str, Any]:
    return {
        "transaction": name,
        P50: p95 / 3,
        P95: p95,
        TPM: tpm,
        "failure_rate()": 0.021,
    }


def test_parse_perf() -> None:
    assert parse_perf("").transaction is None
    req = parse_perf("POST /api/orders project:backend last 7 days env:prod")
    assert req.transaction == "POST /api/orders"
    assert (req.period, req.projects, req.environments) == ("7d", ("backend",), ("prod",))
    assert parse_perf('"/api/last thing"').transaction == "/api/last thing"
    with pytest.raises(UserError, match="90 days"):
        parse_perf("last 13w")


async def test_overview_lists_slowest_and_busiest_with_a_chart_button(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry_mock.projects([f.project(2, "backend")])

    def respond(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["dataset"] == "spans" and params["query"] == "is_transaction:true"
        if params["sort"] == f"-{P95}":
            rows = [txn("/api/report", 4200, 0.4), txn("/api/checkout", 950, 12)]
        else:
            rows = [txn("/api/health", 12, 600), txn("/api/checkout", 950, 12)]
        return httpx.Response(200, json=df.events(rows))

    route = sentry.get(df.EVENTS).mock(side_effect=respond)
    await bot.command("perf project:backend last 7d")
    [resp] = await slack.wait_for("response")
    shown = text_of(resp["blocks"])
    assert "*Performance* · last 7 days · project backend" in shown
    assert "*Slowest transactions (by p95)*" in shown
    squashed = re.sub(r" {2,}", " | ", shown)
    assert "transaction | p50 | p95 | tpm | failure" in squashed
    assert "/api/report | 1.40 s | 4.20 s | 0.4/min | 2.1 %" in squashed
    assert "/api/health | 4.0 ms | 12 ms | 600/min | 2.1 %" in squashed
    assert len(route.calls) == 2
    assert route.calls[0].request.url.params.get_list("project") == ["2"]
    assert route.calls[0].request.url.params["per_page"] == "5"

    series = sentry.get(df.TIMESERIES).mock(
        return_value=httpx.Response(
            200, json=df.timeseries(["/api/report"], y_axis=P95, value_type="duration")
        )
    )
    await bot.action(Action.DISCOVER_CHART, value=buttons(resp["blocks"])["p95 over time"])
    [done] = await slack.wait_for("files.completeUploadExternal", timeout=20)
    assert "p95(span.duration) by transaction" in done.args["initial_comment"]
    params = series.calls.last.request.url.params
    assert (params["dataset"], params["yAxis"], params.get_list("groupBy")) == (
        "spans",
        P95,
        ["transaction"],
    )


async def test_one_transaction_versus_the_previous_period(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        query = params.get("query", "")
        if params["dataset"] == "errors":
            assert query == 'transaction:"/api/checkout"'
            rows = [{"issue": "BACKEND-1A", "title": "KeyError: 'cart'", "count()": 42}]
            return httpx.Response(200, json=df.events(rows))
        if query.startswith("!is_transaction:true"):
            rows = [
                {"span.op": "db", "span.description": "SELECT * FROM carts", P95: 310, "count()": 9}
            ]
            return httpx.Response(200, json=df.events(rows))
        assert query == 'is_transaction:true transaction:"/api/checkout"'
        previous = "start" in params
        row = {
            P50: 200 if previous else 240,
            P95: 800 if previous else 1000,
            TPM: 10.0 if previous else 10.02,
            "failure_rate()": 0.02 if previous else 0.01,
            "count()": 14_400,
        }
        return httpx.Response(200, json=df.events([row]))

    route = sentry.get(df.EVENTS).mock(side_effect=respond)
    await bot.command("perf /api/checkout last 24h")
    [resp] = await slack.wait_for("response")
    shown = text_of(resp["blocks"])
    assert "*Transaction* `/api/checkout` · last 24 hours vs the 24 hours before" in shown
    fields = [f["text"] for b in resp["blocks"] if b.get("fields") for f in b["fields"]]
    assert fields == [
        "*p50*\n240 ms\n↑ 20 % (was 200 ms)",
        "*p95*\n1.00 s\n↑ 25 % (was 800 ms)",
        "*Throughput*\n10.02/min\n→ 0 % (was 10/min)",
        "*Failure rate*\n1.0 %\n↓ 50 % (was 2.0 %)",
    ]
    assert "14.4k transactions in the period" in shown
    assert "SELECT * FROM carts" in shown and "310 ms" in shown
    assert "BACKEND-1A" in shown and "KeyError: 'cart'" in shown
    assert len(route.calls) == 4
    previous = [c for c in route.calls if "start" in c.request.url.params]
    assert len(previous) == 1 and "statsPeriod" not in previous[0].request.url.params


async def test_no_data_is_said_plainly(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(df.EVENTS).mock(return_value=httpx.Response(200, json=df.events([], ["count()"])))
    await bot.command("perf")
    await bot.command("perf /api/nothing")
    answers = await slack.wait_for("response", 2)
    texts = sorted(a["text"] for a in answers)
    assert texts == [
        "No transaction named `/api/nothing` in the last 24 hours.",
        "No transactions in the `spans` dataset for the last 24 hours.",
    ]
