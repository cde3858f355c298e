"""The release watch: exactly-once announcements across replicas and restarts, follow-ups."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
import respx
from httpx import Request, Response

from bot.app import create_app
from bot.core.settings import Settings
from bot.core.store import Store
from bot.deps import Deps, build_deps
from bot.releases.outbox import LEASE
from bot.releases.subscriptions import ReleaseSubscription, SubscriptionStore
from bot.releases.watch import FOLLOWUP_DELAY, ReleaseWatch
from tests import factories as f
from tests import release_factories as rf
from tests.conftest import _no_sleep
from tests.fake_slack import FakeSlack
from tests.release_helpers import by_query, mock_projects, text_of, watcher
from tests.sentry_mock import SentryMock


class Clock:
    """A settable clock shared by the watchers of one test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


class World:
    """What Sentry knows: releases (newest first) and their deploys, served to the watchers."""

    def __init__(self, sentry: respx.MockRouter) -> None:
        self.sentry = sentry
        self.releases: dict[str, dict[str, Any]] = {}
        self.deploys: dict[str, list[dict[str, Any]]] = {}
        self.list_calls = 0
        SentryMock(sentry).releases(self._list)

    def _list(self, request: Request) -> Response:
        self.list_calls += 1
        ordered = sorted(self.releases.values(), key=lambda r: r["dateCreated"], reverse=True)
        return Response(200, json=ordered)

    def release(self, version: str, at: datetime, projects: tuple[str, ...] = ("backend",)) -> None:
        self.releases[version] = rf.release(version, created=at, projects=projects, commits=4)
        self.deploys[version] = []
        self.sentry.get(rf.path(version, "deploys")).mock(
            side_effect=lambda _req: Response(200, json=list(reversed(self.deploys[version])))
        )

    def deploy(self, version: str, did: int, env: str, at: datetime) -> None:
        d = rf.deploy(did, env, at=at)
        self.deploys[version].append(d)
        self.releases[version] |= {"lastDeploy": d, "deployCount": len(self.deploys[version])}


@pytest.fixture
async def replicas(
    settings: Settings, store: Store, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[list[Deps]]:
    """Two processes' worth of services on the same Redis namespace (separate connections)."""
    out: list[Deps] = []
    for _ in range(2):
        url = os.environ.get("REDIS_URL")
        client = aioredis.Redis.from_url(url) if url else store.redis
        own = Store(client, prefix=store.prefix)
        out.append(await build_deps(settings, store=own, sleep=_no_sleep))
    yield out
    for d in out:
        await d.sentry.aclose()
        if d.store.redis is not store.redis:
            await d.store.redis.aclose()


async def subscribe(deps: Deps, channel: str = "C1", env: str | None = None) -> ReleaseSubscription:
    sub, _ = await SubscriptionStore(deps.store).add(channel, "backend", env, user="U1")
    return sub


def posts(slack: FakeSlack) -> list[str]:
    return [text_of(c.args["blocks"]).split("\n")[0] for c in slack.of("chat.postMessage")]


@pytest.fixture
def world(sentry: respx.MockRouter) -> World:
    mock_projects(sentry)
    return World(sentry)


async def test_two_replicas_announce_each_release_and_deploy_once(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    w1, w2 = (watcher(d, slack, clock) for d in replicas)
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=30))
    for _ in range(3):
        await asyncio.gather(w1.tick(), w2.tick())
    clock.advance(minutes=1)
    world.deploy("backend@1.6.0", 501, "staging", at=clock.now - timedelta(seconds=20))
    world.deploy("backend@1.6.0", 502, "production", at=clock.now - timedelta(seconds=10))
    world.release("backend@1.6.1", at=clock.now - timedelta(seconds=5))
    for _ in range(3):
        await asyncio.gather(w1.tick(), w2.tick())
        clock.advance(seconds=30)
    url = "https://sentry.io/organizations/acme/releases/backend%40{}/|{}"
    v0, v1 = url.format("1.6.0", "1.6.0"), url.format("1.6.1", "1.6.1")
    assert sorted(posts(slack)) == sorted(
        [
            f":rocket: New release *<{v0}>* in `backend` · 4 commits",
            f":package: *<{v0}>* deployed to *staging* · `backend`",
            f":package: *<{v0}>* deployed to *production* · `backend`",
            f":rocket: New release *<{v1}>* in `backend` · 4 commits",
        ]
    )
    assert {c.args["channel"] for c in slack.of("chat.postMessage")} == {"C1"}


async def test_concurrent_polls_without_the_lock_still_queue_once(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    sub = await subscribe(replicas[0])
    await subscribe(replicas[0], channel="C2")
    clock = Clock(sub.created_at + timedelta(minutes=1))
    w1, w2 = (watcher(d, slack, clock) for d in replicas)
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=30))
    world.deploy("backend@1.6.0", 501, "production", at=clock.now - timedelta(seconds=20))
    # Bypass the poll lock: the atomic seen-and-queue step alone must keep it exactly once.
    queued = await asyncio.gather(*(w._poll() for w in (w1, w2, w1, w2)))
    # Which poll queues which event depends on timing; that each is queued once does not.
    assert sum(queued) == 6  # 2 channels × (release + deploy + follow-up)
    assert await w1.outbox.pending_count() == 6
    sent = await asyncio.gather(w1.notifier.deliver(clock.now), w2.notifier.deliver(clock.now))
    assert sum(sent) == 4
    assert sorted(c.args["channel"] for c in slack.of("chat.postMessage")) == [
        "C1",
        "C1",
        "C2",
        "C2",
    ]


async def test_restart_neither_repeats_nor_drops(
    replicas: list[Deps], slack: FakeSlack, world: World, store: Store
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=30))
    first = watcher(replicas[0], slack, clock)
    await first.tick()
    assert len(posts(slack)) == 1
    cursor = await first.cursor()
    assert cursor == clock.now
    # The process stops. While it is down, a release and a deploy happen.
    clock.advance(minutes=40)
    world.release("backend@1.6.1", at=clock.now - timedelta(minutes=30))
    world.deploy("backend@1.6.1", 601, "production", at=clock.now - timedelta(minutes=20))
    clock.advance(minutes=5)
    # A new process (new connections, nothing in memory) picks up from the stored cursor.
    second = watcher(replicas[1], slack, clock)
    await second.tick()
    await second.tick()
    texts = posts(slack)
    assert len(texts) == 3
    assert sum("1.6.0" in t for t in texts) == 1
    assert sum("New release" in t and "1.6.1" in t for t in texts) == 1
    assert sum("deployed to *production*" in t for t in texts) == 1
    # Its follow-up waits for an hour after the deploy, stored in Redis for any replica.
    score = await store.redis.zscore(second.outbox.due_key, f"followup:601:{sub.id}")
    expected = datetime.fromisoformat(world.deploys["backend@1.6.1"][0]["dateFinished"])
    assert score == (expected + FOLLOWUP_DELAY).timestamp()


async def test_a_replica_dying_mid_send_does_not_drop_the_notice(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=30))
    dying, survivor = (watcher(d, slack, clock) for d in replicas)
    await dying.poll()
    [job] = await dying.outbox.claim_due(now=clock.now.timestamp())  # …and it never sends
    await survivor.tick()
    assert posts(slack) == []  # leased to the dead replica for now
    clock.advance(seconds=LEASE + 1)
    await survivor.tick()
    await survivor.tick()
    assert len(posts(slack)) == 1 and "1.6.0" in posts(slack)[0]
    assert job.id == f"release:backend@1.6.0:{sub.id}"


async def test_followup_an_hour_after_the_deploy_in_its_thread(
    replicas: list[Deps],
    slack: FakeSlack,
    world: World,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
) -> None:
    sub = await subscribe(replicas[0], env="production")
    clock = Clock(sub.created_at + timedelta(minutes=5))
    world.release("backend@1.6.0", at=clock.now - timedelta(hours=30))
    world.release("backend@1.6.1", at=clock.now - timedelta(minutes=4))
    deployed = clock.now - timedelta(minutes=1)
    world.deploy("backend@1.6.1", 701, "staging", at=deployed - timedelta(minutes=2))
    world.deploy("backend@1.6.1", 702, "production", at=deployed)
    issues = sentry_mock.issues(
        by_query({"firstRelease:": [f.issue(21, title="KeyError: 'plan'"), f.issue(22)]})
    )
    sessions = sentry.get("organizations/acme/sessions/").mock(
        return_value=Response(
            200,
            json=rf.sessions(
                {"backend@1.6.1": (700, 0.9810, 0.9900), "backend@1.6.0": (9000, 0.9960, 0.9950)}
            ),
        )
    )
    w = watcher(replicas[0], slack, clock)
    await w.tick()
    texts = posts(slack)
    assert len(texts) == 2  # the release, and the production deploy (staging is filtered out)
    [deploy_post] = [
        c for c in slack.of("chat.postMessage") if "deployed to" in text_of(c.args["blocks"])
    ]
    clock.advance(minutes=30)
    await w.tick()
    assert len(posts(slack)) == 2 and not issues.called
    clock.advance(minutes=31)
    await w.tick()
    [followup] = slack.of("chat.postMessage")[2:]
    where = await w.outbox.posted(f"deploy:702:{sub.id}")
    assert where is not None and followup.args["thread_ts"] == where["ts"]
    assert deploy_post.args["channel"] == followup.args["channel"] == "C1"
    text = text_of(followup.args["blocks"])
    assert text.startswith(
        ":stethoscope: One hour after deploying *<https://sentry.io/organizations/acme/releases/"
        "backend%401.6.1/|1.6.1>* to *production*: 2 new issues · crash-free sessions 98.10% "
        "↓1.50 pp · users 99.00% ↓0.50 pp vs 1.6.0"
    )
    assert "KeyError: 'plan'" in text
    q = issues.calls[0].request.url.params
    assert q["query"] == 'firstRelease:"backend@1.6.1"' and q["environment"] == "production"
    p = sessions.calls[0].request.url.params
    assert p["statsPeriod"] == "24h" and p["environment"] == "production"
    await w.tick()
    assert len(slack.of("chat.postMessage")) == 3  # sent once


async def test_followup_threads_under_the_deploy_notice(
    replicas: list[Deps], slack: FakeSlack, world: World, sentry_mock: SentryMock
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=2))
    world.release("backend@1.6.1", at=clock.now - timedelta(minutes=1), projects=("backend",))
    world.releases["backend@1.6.1"]["projects"][0]["hasHealthData"] = False
    world.deploy("backend@1.6.1", 801, "production", at=clock.now - timedelta(seconds=30))
    sentry_mock.issues([])
    w = watcher(replicas[0], slack, clock)
    await w.tick()
    notice = next(
        c for c in slack.of("chat.postMessage") if "deployed to" in text_of(c.args["blocks"])
    )
    where = await w.outbox.posted(f"deploy:801:{sub.id}")
    assert where is not None and where["channel"] == "C1"
    clock.advance(hours=1)
    await w.tick()
    followup = slack.of("chat.postMessage")[-1]
    assert followup.args["thread_ts"] == where["ts"]
    assert notice.args.get("thread_ts") in (None, "")
    assert "0 new issues · no session data" in text_of(followup.args["blocks"])


async def test_unsubscribed_channels_get_nothing_more(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=30))
    w = watcher(replicas[0], slack, clock)
    await w.poll()
    assert await w.outbox.pending_count() == 1
    await SubscriptionStore(replicas[0].store).remove(sub.id, "C1")
    await w.tick()
    assert posts(slack) == [] and await w.outbox.pending_count() == 0


async def test_releases_before_the_subscription_are_not_announced(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    world.release("backend@1.5.0", at=sub.created_at - timedelta(minutes=3))
    world.release("web@1.0.0", at=clock.now, projects=("frontend",))
    w = watcher(replicas[0], slack, clock)
    await w.tick()
    assert posts(slack) == []


async def test_no_subscriptions_means_no_sentry_traffic(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    w = watcher(replicas[0], slack, Clock(datetime.now(UTC)))
    assert await w.tick() == (0, 0)
    assert world.list_calls == 0


async def test_the_app_starts_and_stops_the_watch(settings: Settings, deps: Deps) -> None:
    app = create_app(settings, deps)
    watch = deps.release_watch
    assert isinstance(watch, ReleaseWatch) and watch.interval == 60
    assert watch.client is app.client
    await deps.lifecycle.start()
    assert watch._scheduler is not None and watch._scheduler.get_job("release-watch")
    await deps.lifecycle.stop()
    assert watch._scheduler is None


async def test_scheduler_runs_ticks_until_stopped(replicas: list[Deps], slack: FakeSlack) -> None:
    w = watcher(replicas[0], slack, Clock(datetime.now(UTC)))
    w.interval = 0.2
    ran = asyncio.Event()

    async def tick() -> tuple[int, int]:
        ran.set()
        return 0, 0

    w.tick = tick  # type: ignore[method-assign]
    await w.start()
    await asyncio.wait_for(ran.wait(), 5)
    await w.stop()
    off = watcher(replicas[0], slack, Clock(datetime.now(UTC)))
    off.interval = 0
    await off.start()
    assert off._scheduler is None


async def test_a_channel_without_dexter_drops_its_notice(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=30))
    slack.on("chat.postMessage", {"ok": False, "error": "not_in_channel"})
    w = watcher(replicas[0], slack, clock)
    await w.tick()
    assert len(slack.of("chat.postMessage")) == 1
    assert await w.outbox.pending_count() == 0  # not retried forever


async def test_a_failing_followup_is_retried_later(
    replicas: list[Deps],
    slack: FakeSlack,
    world: World,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    store: Store,
) -> None:
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=50))
    world.deploy("backend@1.6.0", 901, "production", at=clock.now - timedelta(seconds=40))
    issues = sentry_mock.issues(Response(503))
    sentry.get("organizations/acme/sessions/").mock(
        return_value=Response(200, json=rf.sessions({}))
    )
    w = watcher(replicas[0], slack, clock)
    await w.tick()
    clock.advance(hours=1)
    await w.tick()
    assert issues.called and len(slack.of("chat.postMessage")) == 2  # no follow-up yet
    job_id = f"followup:901:{sub.id}"
    score = await store.redis.zscore(w.outbox.due_key, job_id)
    assert score == clock.now.timestamp() + 60.0  # backoff 30 s × 2^attempts
    issues.mock(return_value=Response(200, json=[]))
    clock.advance(minutes=2)
    await w.tick()
    text = text_of(slack.of("chat.postMessage")[-1].args["blocks"])
    assert "0 new issues · no session data" in text
    assert await w.outbox.pending_count() == 0


async def test_a_deploy_url_cannot_carry_markup_into_the_announcement(
    replicas: list[Deps], slack: FakeSlack, world: World
) -> None:
    # issue 11: `/dexter deploy 1.2.0 production url:http://x.example/a><!here>` made every
    # subscribed channel's announcement carry <!here>
    sub = await subscribe(replicas[0])
    clock = Clock(sub.created_at + timedelta(minutes=1))
    world.release("backend@1.6.0", at=clock.now - timedelta(seconds=30))
    hostile = "http://x.example/a><!here>|<http://e.example|x>"
    d = rf.deploy(501, "production", at=clock.now - timedelta(seconds=20), url=hostile)
    world.deploys["backend@1.6.0"].append(d)
    world.releases["backend@1.6.0"] |= {"lastDeploy": d, "deployCount": 1}
    w = watcher(replicas[0], slack, clock)
    for _ in range(2):
        await w.tick()
        clock.advance(seconds=30)
    deploy_posts = [t for t in posts(slack) if t.startswith(":package:")]
    assert len(deploy_posts) == 1
    text = deploy_posts[0]
    assert "<!here>" not in text and "<http://e.example" not in text
    # the link stays one link, its URL percent-encoded
    assert "<http://x.example/a%3E%3C!here%3E%7C%3Chttp://e.example%7Cx%3E|details>" in text
