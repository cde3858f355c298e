"""Scheduling on real Redis: exactly once across replicas, misfire grace, retries, dead channels."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import respx
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import SentryUnavailable
from bot.deps import Deps
from bot.digests import messages as msg
from bot.digests.feature import DigestFeature
from bot.digests.parse import Target
from bot.digests.schedule import Schedule
from bot.digests.subscriptions import Subscription
from bot.services import digests_of
from tests.digest_sentry import DashboardSentry
from tests.fake_slack import FakeSlack
from tests.settings_factory import SLACK_BOT_TOKEN

# A virtual clock: the digests fire at FIRE on a clock shifted so FIRE is `lead` seconds away.
FIRE = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # a Monday
DAILY = Schedule(at="09:00", tz="UTC")


def shift_for(fire: datetime, lead: float) -> timedelta:
    return fire - datetime.now(UTC) - timedelta(seconds=lead)


def replica(deps: Deps, slack: FakeSlack, shift: timedelta, **kw: Any) -> DigestFeature:
    client = AsyncWebClient(token=SLACK_BOT_TOKEN, base_url=slack.api_url)
    options: dict[str, Any] = {
        "resync_every": 0.3,
        "lease": 2.0,
        "retry_delays": (0.05, 0.05),
        "chart": False,
        "time_shift": shift,
    } | kw
    return digests_of(deps, client, **options)


async def subscribe(
    feat: DigestFeature, channel: str, target: Target, *, owner: str = "U1", created: datetime
) -> Subscription:
    return await feat.store.create(
        team_id="T1",
        channel_id=channel,
        owner_id=owner,
        target=target,
        schedule=DAILY,
        created_at=created,
    )


def digests_posted(slack: FakeSlack) -> Counter[str]:
    """How many times each subscription's digest was posted (from the message metadata)."""
    seen: Counter[str] = Counter()
    for call in slack.of("chat.postMessage"):
        meta = call.args.get("metadata")
        if isinstance(meta, str):
            import json

            meta = json.loads(meta)
        if meta:
            seen[meta["event_payload"]["subscription"]] += 1
    return seen


async def wait_until(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def test_exactly_once_with_three_replicas_one_stopped_mid_run(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    DashboardSentry(delay=0.05).install(sentry)
    shift = shift_for(FIRE, lead=1.0)
    a, b = (replica(deps, slack, shift, name=n) for n in "ab")
    # c's clock runs 0.2 s ahead, so it claims first and is stopped holding claims.
    c = replica(deps, slack, shift + timedelta(seconds=0.2), name="c")
    # c's dashboards never finish building: whatever it claimed, it is surely still fetching
    # (not yet posting) when it is stopped, however slow or loaded the machine is.
    never = asyncio.Event()

    async def stuck(*args: Any, **kwargs: Any) -> Any:
        await never.wait()

    c.service.build = stuck  # type: ignore[method-assign]
    subs = []
    targets = itertools.cycle(
        [Target(team="core"), Target(team="mobile"), Target(projects=("web",))]
    )
    for i in range(12):
        subs.append(
            await subscribe(a, f"C{i % 4}", next(targets), created=FIRE - timedelta(hours=1))
        )
        # distinct targets per channel: the store refuses exact duplicates
    for feat in (a, b, c):
        await feat.scheduler.start()
    try:
        await wait_until(lambda: c.scheduler.stats["claimed"] >= 1)
        await c.scheduler.stop()  # mid-run: its claimed digests are cancelled, leases released
        await wait_until(lambda: sum(digests_posted(slack).values()) >= len(subs))
        await asyncio.sleep(1.0)  # any duplicate would arrive by now (several ticks)
    finally:
        for feat in (a, b, c):
            await feat.scheduler.stop()
    posted = digests_posted(slack)
    assert posted == Counter({s.id: 1 for s in subs})
    sent = [f.scheduler.stats["sent"] for f in (a, b, c)]
    assert sum(sent) == len(subs)
    assert c.scheduler.stats["sent"] < c.scheduler.stats["claimed"]  # it really was interrupted
    for s in subs:
        state = await a.store.state(s.id)
        assert state.last_fire == FIRE and state.last_status == "sent"


async def test_a_dead_replicas_claim_is_taken_over_when_its_lease_runs_out(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    DashboardSentry().install(sentry)
    due = FIRE
    feat = replica(deps, slack, shift_for(due, lead=-60))  # due a minute ago
    sub = await subscribe(feat, "C1", Target(team="core"), created=due - timedelta(days=2))
    # A replica claimed this fire and died: nobody renews or releases its lease.
    lock = deps.store.redis.lock(
        deps.store.key("lock", "digest", sub.id, str(int(due.timestamp()))), timeout=1.0
    )
    assert await lock.acquire(blocking=False)
    started = time.monotonic()
    await feat.scheduler.start()
    try:
        await wait_until(lambda: digests_posted(slack)[sub.id] == 1)
    finally:
        await feat.scheduler.stop()
    assert time.monotonic() - started >= 0.7
    assert digests_posted(slack) == Counter({sub.id: 1})


async def test_missed_digest_within_grace_is_sent_once_on_start_up(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    DashboardSentry().install(sentry)
    shift = shift_for(FIRE + timedelta(minutes=30), lead=0)  # all replicas were down at 09:00
    first = replica(deps, slack, shift)
    sub = await subscribe(first, "C1", Target(team="core"), created=FIRE - timedelta(days=3))
    await first.store.record(
        sub.id,
        scheduled=FIRE - timedelta(days=1),
        status="sent",
        period_end=FIRE - timedelta(days=1),
    )
    await first.scheduler.start()
    await wait_until(lambda: digests_posted(slack)[sub.id] == 1)
    await first.scheduler.drain()
    await first.scheduler.stop()
    runs = deps.metrics.registry.get_sample_value
    assert runs("dexter_digest_runs_total", {"outcome": "ok"}) == 1
    lag = runs("dexter_digest_lag_seconds_sum")
    assert lag is not None and 25 * 60 < lag < 35 * 60  # fired at 09:30 for 09:00
    # A restart does not send it again.
    second = replica(deps, slack, shift)
    await second.scheduler.start()
    await asyncio.sleep(0.8)  # several ticks of the real timer: none may resend
    await second.scheduler.stop()
    assert digests_posted(slack) == Counter({sub.id: 1})
    state = await first.store.state(sub.id)
    assert state.last_fire == FIRE and state.period_end == FIRE


async def test_missed_digest_beyond_grace_is_skipped_and_logged(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    DashboardSentry().install(sentry)
    shift = shift_for(FIRE + timedelta(hours=2), lead=0)
    feat = replica(deps, slack, shift, grace=3600.0)
    sub = await subscribe(feat, "C1", Target(team="core"), created=FIRE - timedelta(days=3))
    with caplog.at_level(logging.WARNING, logger="bot.digests.scheduler"):
        await feat.scheduler.start()
        await asyncio.sleep(0.8)  # a few ticks: logged once, not on every tick
        await feat.scheduler.stop()
        again = replica(deps, slack, shift, grace=3600.0)
        await again.scheduler.start()
        await asyncio.sleep(0.4)  # its ticks, on the real timer: the skip is not logged again
        await again.scheduler.stop()
    assert slack.of("chat.postMessage") == []
    state = await feat.store.state(sub.id)
    assert state.last_status == "skipped" and state.last_fire == FIRE
    runs = deps.metrics.registry.get_sample_value
    assert runs("dexter_digest_runs_total", {"outcome": "skipped"}) == 1
    skips = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skips) == 1 and sub.id in skips[0].getMessage()


async def test_failures_retry_with_backoff_then_tell_the_owner_without_blocking_others(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    DashboardSentry().install(sentry)
    feat = replica(deps, slack, shift_for(FIRE, lead=0.5), retry_delays=(0.05, 0.1))
    flaky = await subscribe(
        feat, "C1", Target(team="mobile"), owner="U7", created=FIRE - timedelta(days=1)
    )
    broken = await subscribe(
        feat, "C2", Target(team="core"), owner="U8", created=FIRE - timedelta(days=1)
    )
    healthy = await subscribe(feat, "C3", Target(team="core"), created=FIRE - timedelta(days=1))
    calls: Counter[str] = Counter()
    real_build = feat.service.build

    async def build(target: Target, *args: Any, **kw: Any) -> Any:
        calls[target.describe()] += 1
        if target.team == "mobile" and calls[target.describe()] <= 2:
            raise SentryUnavailable("Sentry answered 503", status=503)
        return await real_build(target, *args, **kw)

    feat.service.build = build  # type: ignore[method-assign]
    # The broken one always fails: every attempt of C2's digest hits a Sentry outage.
    real_post = feat.sender.post

    async def post(channel: str, *args: Any, **kw: Any) -> str:
        if channel == "C2":
            raise SentryUnavailable("Sentry answered 502", status=502)
        return await real_post(channel, *args, **kw)

    feat.sender.post = post  # type: ignore[method-assign]
    await feat.scheduler.start()
    try:
        await wait_until(
            lambda: feat.scheduler.stats["failed"] == 1 and feat.scheduler.stats["sent"] == 2
        )
        await feat.scheduler.drain()
    finally:
        await feat.scheduler.stop()
    assert digests_posted(slack) == Counter({flaky.id: 1, healthy.id: 1})
    assert calls["team:mobile"] == 3  # two failures, retried with backoff, then sent
    dms = [c for c in slack.of("chat.postMessage") if c.args["channel"] == "U8"]
    assert len(dms) == 1
    assert f"digest `{broken.id}` (team:core)" in dms[0].args["text"]
    assert "after 3 attempts: Sentry: Sentry answered 502" in dms[0].args["text"]
    assert (await feat.store.state(broken.id)).last_status == "failed"


async def test_archived_channel_disables_its_digests_and_tells_the_owners(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    DashboardSentry().install(sentry)
    counter = itertools.count(1)

    def post(args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") == "C9":
            return {"ok": False, "error": "is_archived"}
        ts = f"1700000001.{next(counter):06d}"
        return {"ok": True, "channel": args.get("channel"), "ts": ts}

    slack.on("chat.postMessage", post)
    feat = replica(deps, slack, shift_for(FIRE, lead=0.5))
    made = FIRE - timedelta(days=1)
    gone1 = await subscribe(feat, "C9", Target(team="core"), owner="U1", created=made)
    gone2 = await subscribe(feat, "C9", Target(team="mobile"), owner="U2", created=made)
    fine = await subscribe(feat, "C1", Target(team="core"), created=made)
    await feat.scheduler.start()
    try:
        await wait_until(
            lambda: feat.scheduler.stats["sent"] == 1 and feat.scheduler.stats["disabled"] == 2
        )
        await feat.scheduler.drain()
        assert feat.scheduler.scheduled_ids() == {fine.id}
    finally:
        await feat.scheduler.stop()
    for sub, owner in ((gone1, "U1"), (gone2, "U2")):
        stored = await feat.store.get(sub.id)
        assert stored is not None and not stored.enabled
        assert stored.disabled_reason == msg.GONE_REASONS["is_archived"]
        dms = [c for c in slack.of("chat.postMessage") if c.args["channel"] == owner]
        assert len(dms) == 1 and f"digest `{sub.id}`" in dms[0].args["text"]
        assert "the channel was archived" in dms[0].args["text"]


async def test_subscription_changes_reach_a_running_replica(
    deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    running = replica(deps, slack, timedelta(0))
    other = replica(deps, slack, timedelta(0))  # another replica's handler makes the change
    await running.scheduler.start()
    try:
        sub = await subscribe(other, "C1", Target(team="core"), created=datetime.now(UTC))
        await wait_until(lambda: running.scheduler.scheduled_ids() == {sub.id}, timeout=3)
        await other.store.delete(sub.id)
        await wait_until(lambda: running.scheduler.scheduled_ids() == set(), timeout=3)
    finally:
        await running.scheduler.stop()
