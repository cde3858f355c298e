"""/metrics: commands, interactions, latencies, Sentry calls, Slack errors, caches, digests."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from httpx import Response

from bot.core.ids import Action
from bot.core.metrics import Metrics, digest_run
from bot.core.settings import Settings
from bot.deps import Deps
from bot.server import serve
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.ops_support import eventually, sample, scrape
from tests.sentry_mock import SentryMock
from tests.settings_factory import make_settings


async def _count(bot: SlackDriver, metric: str, **labels: str) -> float:
    return sample(await scrape(bot), metric, **labels) or 0.0


async def test_commands_and_latencies_are_counted(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.projects([f.project()])
    sentry_mock.issues([f.issue(1)])
    await bot.command("issues project:backend")
    await slack.wait_for("response", 1)  # the second is then served from the cache
    await bot.command("issues project:backend")
    await bot.command("frobnicate")
    await slack.wait_for("response", 3)

    async def counted() -> bool:
        text = await scrape(bot)
        return (sample(text, "dexter_commands_total", command="issues", outcome="ok") or 0) == 2

    await eventually(counted)
    text = await scrape(bot)
    assert sample(text, "dexter_commands_total", command="unknown", outcome="ok") == 1
    assert sample(text, "dexter_ack_latency_seconds_count", kind="command") == 3
    assert sample(text, "dexter_request_duration_seconds_count", kind="command") == 3
    assert (
        sample(
            text,
            "dexter_sentry_request_duration_seconds_count",
            method="GET",
            family="issues",
            status="200",
        )
        == 2
    )
    # the project list was loaded once, then served from the cache
    assert (
        sample(
            text,
            "dexter_sentry_request_duration_seconds_count",
            method="GET",
            family="projects",
            status="200",
        )
        == 1
    )
    assert sample(text, "dexter_cache_hits_total") == 1
    assert sample(text, "dexter_cache_misses_total") == 1
    assert sample(text, "dexter_cache_hit_ratio") == 0.5


async def test_error_outcomes_and_interactions(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.issues(Response(503))
    await bot.command("issues")
    await bot.action(Action.ISSUES_NEXT_PAGE, value="not json")
    await slack.wait_for("response", 2)

    async def counted() -> bool:
        text = await scrape(bot)
        return (
            sample(text, "dexter_interactions_total", kind="action", name="issues_next_page")
            is not None
            and sample(text, "dexter_commands_total", command="issues") is not None
        )

    await eventually(counted)
    text = await scrape(bot)
    assert (
        sample(text, "dexter_commands_total", command="issues", outcome="sentry_unavailable") == 1
    )
    assert (
        sample(
            text, "dexter_interactions_total", kind="action", name="issues_next_page", outcome="ok"
        )
        == 1
    )
    assert (
        sample(
            text,
            "dexter_sentry_request_duration_seconds_count",
            method="GET",
            family="issues",
            status="503",
        )
        == 4
    )  # one try and three retries


async def test_rate_limit_waits_and_slack_errors(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    limited = Response(429, headers={"Retry-After": "0"})
    sentry_mock.issue(iter([limited, Response(200, json=f.issue(7))]), ref=7, latest=f.event(7))
    slack.on("chat.postMessage", {"ok": False, "error": "not_in_channel"})
    sentry_mock.card_extras()
    await bot.command("issue 7")
    [resp] = await slack.wait_for("response")
    assert "Invite me" in str(resp)

    async def counted() -> bool:
        text = await scrape(bot)
        return sample(text, "dexter_slack_api_errors_total", method="chat.postMessage") == 1

    await eventually(counted)
    text = await scrape(bot)
    assert (
        sample(
            text, "dexter_slack_api_errors_total", method="chat.postMessage", error="not_in_channel"
        )
        == 1
    )
    assert sample(text, "dexter_sentry_rate_limit_waits_total") == 1


async def test_signature_failures_are_counted(bot: SlackDriver) -> None:
    reply = await bot.post("command=/dexter&text=issues", headers={"X-Slack-Signature": "v0=x"})
    assert reply.status == 401
    assert await _count(bot, "dexter_rejected_requests_total", reason="signature") == 1


async def test_digest_functions_record_runs_and_lag(deps: Deps) -> None:
    digest_run(deps.metrics, outcome="ok", lag_seconds=3.5)
    digest_run(deps.metrics, outcome="failed")
    text = deps.metrics.render().decode()
    assert sample(text, "dexter_digest_runs_total", outcome="ok") == 1
    assert sample(text, "dexter_digest_runs_total", outcome="failed") == 1
    assert sample(text, "dexter_digest_lag_seconds_count") == 1
    assert sample(text, "dexter_digest_lag_seconds_sum") == 3.5


def test_each_app_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    a.commands.labels("issues", "ok").inc()
    assert sample(b.render().decode(), "dexter_commands_total", command="issues") is None
    assert sample(a.render().decode(), "dexter_commands_total", command="issues") == 1


async def test_metrics_port_serves_metrics_apart_from_slack(slack: FakeSlack, deps: Deps) -> None:
    from bot.app import create_app

    main_port, metrics_port = _free_port(), _free_port()
    settings: Settings = make_settings(
        slack, PORT=str(main_port), METRICS_PORT=str(metrics_port), HOST="127.0.0.1"
    )
    app = create_app(settings, deps)
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    task = asyncio.create_task(serve(settings, deps, app, on_ready))
    await asyncio.wait_for(ready.wait(), 5)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
                assert resp.status == 200
                assert "dexter_commands_total" in await resp.text()
            async with session.get(f"http://127.0.0.1:{main_port}/metrics") as resp:
                assert resp.status == 404
            async with session.get(f"http://127.0.0.1:{main_port}/readyz") as resp:
                assert resp.status == 200
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_events_are_acked_at_once(bot: SlackDriver) -> None:
    reply = await bot.event({"type": "app_uninstalled"})
    assert reply.status == 200
    assert reply.elapsed < 0.45  # not held back the 0.5 s of the ack-first scheduling


async def test_listener_work_waits_for_pending_acks() -> None:
    from bot.pipeline.observe import AckFirst

    first = AckFirst()
    first.enter()
    done: list[str] = []

    async def work() -> None:
        await first.wait()
        done.append("work")

    task = asyncio.create_task(work())
    await asyncio.sleep(0.05)  # time for `work` to go on if the pending ack did not hold it
    assert done == []  # an ack is still pending
    first.leave()
    await asyncio.wait_for(task, 1)
    assert done == ["work"]
    first.enter()
    started = asyncio.get_running_loop().time()
    await first.wait()  # never longer than MAX_WAIT
    assert asyncio.get_running_loop().time() - started < AckFirst.MAX_WAIT + 0.2
