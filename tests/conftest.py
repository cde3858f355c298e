"""Shared fixtures: real Redis, respx Sentry validated against the schema, fake Slack, the bot."""

from __future__ import annotations

import io
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import respx

from bot.app import create_app
from bot.core import clock as app_clock
from bot.core.logs import setup_logging
from bot.core.settings import Settings
from bot.core.store import Store, start_embedded, stop_embedded
from bot.deps import Deps, build_deps
from tests import sentry_rules, sentry_schema, slack_wire
from tests.clock import TestClock, install
from tests.fake_dns import fake_resolver
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.sentry_mock import SentryMock
from tests.sentry_org import SentryOrg, add_slack_users
from tests.settings_factory import ALL_METHODS, SENTRY_API, make_settings

pytest_plugins = ("pytester",)


@pytest.fixture(autouse=True)
def clock() -> Iterator[TestClock]:
    """The app's clock (bot/core/clock.py) for this test: real time from the test's start,
    which factories date payloads from (`tests.factories.now()`); `advance()`/`freeze()` move it.
    """
    test_clock = TestClock()
    previous = install(test_clock)
    with app_clock.using(test_clock.now):
        yield test_clock
    install(previous)


@pytest.fixture(scope="session")
def embedded_redis() -> Iterator[Any]:
    """One embedded Redis server for the session when REDIS_URL is not set."""
    if os.environ.get("REDIS_URL"):
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = start_embedded(Path(tmp))
        yield server
        stop_embedded(server)


@pytest.fixture
async def store(embedded_redis: Any) -> AsyncIterator[Store]:
    """A Store on real Redis, isolated by a unique key prefix and cleaned afterwards."""
    url = os.environ.get("REDIS_URL")
    client = (
        aioredis.Redis.from_url(url)
        if url
        else aioredis.Redis(unix_socket_path=embedded_redis.socket_file)
    )
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    st = Store(client, prefix=prefix)
    yield st
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def sentry() -> Iterator[respx.MockRouter]:
    """respx router for Sentry; every request made is validated against the official schema,
    and what Sentry's source refuses beyond it is answered with a 400 (tests/sentry_rules.py)."""
    router = respx.mock(base_url=SENTRY_API, assert_all_called=False, assert_all_mocked=True)
    # First route: answers only what Sentry's validators refuse, otherwise falls through.
    router.route(name="sentry-source-rules", method__in=list(ALL_METHODS)).mock(
        side_effect=sentry_rules.refuse
    )
    with sentry_schema.checked(router):
        yield router


@pytest.fixture
def sentry_mock(sentry: respx.MockRouter) -> SentryMock:
    """Routes for a mocked organisation `acme` on the `sentry` router: its projects,
    members, teams, issues, releases (tests/sentry_mock.py)."""
    return SentryMock(sentry)


@pytest.fixture
def org(sentry: respx.MockRouter, slack: FakeSlack) -> SentryOrg:
    """The stateful organisation of tests/sentry_org.py with issue 1 (`BACKEND-1`, project
    backend owned by #core), its people, and their Slack users."""
    add_slack_users(slack)
    o = SentryOrg(sentry).install()
    o.add(1)
    return o


@pytest.fixture
async def slack(request: pytest.FixtureRequest) -> AsyncIterator[FakeSlack]:
    """The local fake Slack Web API. After the test, nothing it received may carry a
    broadcast or markup Dexter did not make (tests/slack_wire.py), and the last line of
    defence (bot/slack/outgoing.py) must not have had to refuse anything: escaping happens
    upstream. A test of the defence itself is marked `slack_refusals_expected`."""
    refused: list[logging.LogRecord] = []
    handler = _Collect(refused)
    logging.getLogger("bot.slack.outgoing").addHandler(handler)
    fake = await FakeSlack().start()
    try:
        yield fake
    finally:
        logging.getLogger("bot.slack.outgoing").removeHandler(handler)
        await fake.stop()
    assert slack_wire.violations(fake) == [], "unescaped mrkdwn reached Slack"
    if request.node.get_closest_marker("slack_refusals_expected") is None:
        assert [r.getMessage() for r in refused] == [], "bot/slack/outgoing.py had to refuse"


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack)


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def deps(settings: Settings, store: Store) -> AsyncIterator[Deps]:
    """Services wired to the test Redis and the respx Sentry (retries without waiting)."""
    d = await build_deps(settings, store=store, sleep=_no_sleep)
    d.workspaces.egress = d.workspaces.egress.with_resolver(fake_resolver)  # tests/fake_dns.py
    yield d
    await d.sentry.aclose()


@pytest.fixture
async def bot(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    """The real app served over HTTP on loopback, driven with signed Slack requests."""
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(settings, deps), deps, slack, session) as driver,
    ):
        yield driver


@pytest.fixture
def text_logs() -> Iterator[Callable[[str], io.StringIO]]:
    """Start logging as `dexter run` does (text format) at a level; returns its output."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def start(level: str) -> io.StringIO:
        setup_logging(level, "text")
        buf = io.StringIO()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buf)
        return buf

    yield start
    root.handlers[:], root.level = saved[0], saved[1]
