"""The pipeline in one process: roles, crash recovery with one effect, dead letters,
backpressure and the queue on /metrics (the multi-process tests run real processes)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import respx

from bot.app import create_app
from bot.core import messages
from bot.core.settings import Settings
from bot.core.store import Store
from bot.deps import Deps
from bot.pipeline.envelope import Job
from bot.pipeline.queue import redis_too_old
from bot.pipeline.service import Pipeline
from bot.slack.render import Renderer
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.ops_support import sample, scrape
from tests.pipeline_support import fresh_worker, kill, other_process, settled
from tests.sentry_org import SentryOrg, add_slack_users
from tests.settings_factory import make_settings

RESOLVED = {"status": "resolved", "statusDetails": {}}


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    # three attempts, retried after a fraction of a second instead of half a minute
    return make_settings(slack, DEXTER_JOB_ATTEMPTS="3", DEXTER_JOB_VISIBILITY="0.3")


@pytest.fixture
async def web(settings: Settings, deps: Deps, slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """`dexter run --role web`: verifies, acks and enqueues; no worker in this process."""
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(settings, deps, role="web"), deps, slack, session) as driver,
    ):
        yield driver


def pipeline_of(bot: SlackDriver) -> Pipeline:
    assert bot.pipeline is not None
    return bot.pipeline


async def queued(store: Store) -> list[Job]:
    """The jobs in the stream, oldest first."""
    entries = await store.redis.xrange(store.key("pipeline", "jobs"))
    return [Job.loads(fields[b"job"], attempts=0) for _, fields in entries]


async def test_the_web_role_acks_and_enqueues_without_sentry_or_rendering(
    web: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    store: Store,
    settings: Settings,
    embedded_redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered: list[str] = []
    real_blocks = Renderer.blocks

    def counting(self: Renderer, name: str, **context: Any) -> list[dict[str, Any]]:
        rendered.append(name)
        return real_blocks(self, name, **context)

    monkeypatch.setattr(Renderer, "blocks", counting)
    # a worker somewhere is alive (else a second command would hear the queue is stuck)
    await pipeline_of(web).queue.beat("elsewhere", {"c": 50, "t": time.time(), "d": 1.0})
    event = {"type": "link_shared", "channel": "C1", "user": "U1", "message_ts": "1.2"}
    event |= {"unfurl_id": "Uf1", "links": [{"domain": "sentry.io", "url": "https://x/"}]}
    replies = [
        await web.command("issues"),
        await web.command("resolve BACKEND-1"),
        await web.action("open_in_sentry", value="1"),
        await web.event(event),
    ]
    assert [(r.status, r.body) for r in replies] == [(200, "")] * 4
    jobs = await queued(store)
    assert [(j.kind, j.name) for j in jobs] == [
        ("command", "issues"),
        ("command", "resolve"),
        ("action", "open_in_sentry"),
        ("event", "link_shared"),
    ]
    assert jobs[0].response_url and jobs[0].user_id == "U1" and jobs[0].team_id == "T1"
    # the router has no route yet: any request to Sentry would have been recorded
    assert sentry.calls.call_count == 0 and rendered == []
    assert [c.method for c in slack.calls if c.method != "auth.test"] == [] and not slack.responses

    # a worker (another process's) takes the same jobs through the same listeners
    org = SentryOrg(sentry).install()
    org.add(1)
    add_slack_users(slack)
    async with other_process(settings, store, embedded_redis) as worker:
        assert worker.pipeline is not None
        await worker.pipeline.idle()
    assert org.puts == [(["1"], RESOLVED)]
    texts = [r.get("text", "") for r in slack.responses]
    assert any(t.startswith("Resolved") for t in texts) and len(slack.responses) == 2
    assert rendered  # the issues list was rendered, by the worker


async def test_a_worker_killed_after_the_sentry_change_leaves_one_change_and_one_answer(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    pipeline = pipeline_of(bot)
    first = pipeline.worker
    assert first is not None
    real_put = pipeline.ledger.put

    async def put_then_die(job_id: str, effect: str, result: Any) -> None:
        await real_put(job_id, effect, result)
        if effect.startswith("sentry:PUT"):  # Sentry changed and it is on record: die now
            pipeline.ledger.put = real_put  # type: ignore[method-assign]
            kill(first)
            await asyncio.Event().wait()  # nothing after this point happens in this worker

    pipeline.ledger.put = put_then_die  # type: ignore[method-assign]
    await bot.command("resolve BACKEND-1")
    while first.running or any(not t.done() for t in first._loops):
        await settled(first)
        await asyncio.sleep(0.01)
    assert org.puts == [(["1"], RESOLVED)] and slack.responses == []
    assert await pipeline.queue.depth() == 1  # still pending under the dead worker

    fresh = fresh_worker(pipeline)
    await fresh.start()
    try:
        [answer] = await slack.wait_for("response")
        await bot.idle()
    finally:
        await fresh.stop()
    assert org.puts == [(["1"], RESOLVED)]  # not changed twice
    assert answer["text"].startswith("Resolved") and len(slack.responses) == 1
    assert fresh.finished == 1 and await pipeline.queue.depth() == 0


async def test_a_redelivery_after_a_crash_before_the_ack_skips_what_was_done(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = pipeline_of(bot)
    first = pipeline.worker
    assert first is not None
    real_done = pipeline.queue.done

    async def die_before_ack(entry_id: str, job: Job, *, ledger: str | None = None) -> None:
        pipeline.queue.done = real_done  # type: ignore[method-assign]
        kill(first)
        await asyncio.Event().wait()

    pipeline.queue.done = die_before_ack  # type: ignore[method-assign]
    await bot.command("resolve BACKEND-1")
    await slack.wait_for("response")  # the first attempt did everything but the ack
    caplog.set_level(logging.INFO, logger="bot.core.ledger")
    fresh = fresh_worker(pipeline)
    await fresh.start()
    try:
        await bot.idle()
    finally:
        await fresh.stop()
    skipped = [r.getMessage() for r in caplog.records if "already done" in r.getMessage()]
    assert len(skipped) == 2  # the Sentry PUT and the answer
    assert org.puts == [(["1"], RESOLVED)] and len(slack.responses) == 1
    assert fresh.finished == 1 and await pipeline.queue.depth() == 0


async def test_a_job_failing_every_attempt_is_dead_lettered_and_the_user_told(
    bot: SlackDriver, slack: FakeSlack, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[str] = []

    async def broken(ctx: Any, notice: str | None = None, only: Any = None) -> None:
        tries.append(ctx.user_id)
        raise RuntimeError("help is broken")

    monkeypatch.setattr("handlers.commands.show_help", broken)
    await bot.command("")
    [told] = await slack.wait_for("response")
    await bot.idle()
    assert tries == ["U1", "U1", "U1"]  # DEXTER_JOB_ATTEMPTS
    [(_, dead)] = await store.redis.xrange(store.key("pipeline", "dead"))
    ref = dead[b"id"].decode()
    assert told["text"] == messages.JOB_GAVE_UP.format(ref=ref)
    assert told["response_type"] == "ephemeral"
    assert b"RuntimeError" in dead[b"reason"] or b"JobFailed" in dead[b"reason"]
    text = await scrape(bot)
    assert sample(text, "dexter_jobs_dead_total", kind="command") == 1
    assert sample(text, "dexter_jobs_failures_total", kind="command") == 3
    assert sample(text, "dexter_jobs_attempts_total", kind="command") == 3
    assert sample(text, "dexter_queue_depth") == 0


async def test_a_deep_queue_answers_busy_with_the_count_ahead_and_still_runs(
    web: SlackDriver, slack: FakeSlack, store: Store, settings: Settings, embedded_redis: Any
) -> None:
    pipeline = pipeline_of(web)
    # one slow worker: one job at a time, 10 s each; the budget is Slack's 30 minutes
    await pipeline.queue.beat("slow", {"c": 1, "t": time.time(), "d": 10.0, "n": 0})
    pipeline.backpressure.budget = 15.0
    pipeline.backpressure.forget()
    replies = [await web.command("help") for _ in range(4)]
    assert [r.body for r in replies[:2]] == ["", ""]  # 0 and 1 ahead: within 15 s
    busy = [json.loads(r.body) for r in replies[2:]]
    assert [b["text"] for b in busy] == [
        messages.BUSY_QUEUED.format(ahead=2),
        messages.BUSY_QUEUED.format(ahead=3),
    ]
    assert {b["response_type"] for b in busy} == {"ephemeral"}
    text = await scrape(web)
    assert sample(text, "dexter_queue_depth") == 4
    assert (sample(text, "dexter_queue_oldest_job_age_seconds") or 0) >= 0
    async with other_process(settings, store, embedded_redis) as worker:
        answers = await slack.wait_for("response", 4)
        assert worker.pipeline is not None
        await worker.pipeline.idle()
    assert all(a["text"] == "Dexter commands" for a in answers)  # every one still ran
    text = await scrape(web)
    assert sample(text, "dexter_queue_depth") == 0
    assert sample(text, "dexter_jobs_done_total", kind="command") == 4


async def test_no_live_worker_means_any_wait_is_too_long(web: SlackDriver) -> None:
    await web.command("help")
    second = await web.command("help")
    assert json.loads(second.body)["text"] == messages.BUSY_QUEUED.format(ahead=1)


async def test_a_redis_older_than_6_2_cannot_hold_the_queue(store: Store) -> None:
    class Old:
        async def info(self, section: str) -> dict[str, str]:
            return {"redis_version": "6.0.16"}

    why = await redis_too_old(Old())
    assert why is not None and "6.0.16" in why and "6.2" in why
    assert await redis_too_old(store.redis) is None  # the embedded 6.2, or the test's Redis
