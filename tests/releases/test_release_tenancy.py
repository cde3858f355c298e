"""Release notices in a multi-workspace install: each workspace's Sentry, token and channel."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import respx
from httpx import Response

from bot.core.settings import Settings
from bot.deps import Deps
from bot.releases.subscriptions import SubscriptionStore
from tests import factories as f
from tests import release_factories as rf
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.release_helpers import text_of, watcher
from tests.tenants import GLOBEX_BOT, INITECH_BOT, globex_and_initech, oauth_settings

GLOBEX_API = "https://de.sentry.io/api/0/organizations/globex"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def app(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    async with globex_and_initech(settings, deps, slack) as driver:
        yield driver


def serve_releases(sentry: respx.MockRouter, api: str, version: str) -> respx.Route:
    """One org's `backend` project with one new release; the release list route."""
    sentry.get(f"{api}/projects/").mock(return_value=Response(200, json=[f.project(2, "backend")]))
    created = f.now() + timedelta(minutes=1)
    return sentry.get(f"{api}/releases/").mock(
        return_value=Response(200, json=[rf.release(version, created=created)])
    )


async def test_each_workspace_hears_of_its_own_sentrys_releases(
    app: SlackDriver, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    globex = serve_releases(sentry, GLOBEX_API, "backend@2.0.0")
    acme = serve_releases(sentry, "https://sentry.io/api/0/organizations/acme", "backend@2.0.0")
    subs = SubscriptionStore(deps.store)
    await subs.add("CG", "backend", None, user="UG", team_id="TG")
    await subs.add("CI", "backend", None, user="UI", team_id="TI")
    watch = watcher(deps, slack, clock=lambda: f.now() + timedelta(minutes=2), tenants=True)

    assert await watch.tick() == (2, 2)  # the same version, once in each workspace
    posted = {c.args["channel"]: c for c in slack.of("chat.postMessage")}
    assert posted["CG"].token == GLOBEX_BOT and posted["CI"].token == INITECH_BOT
    assert "de.sentry.io/organizations/globex/releases/" in text_of(posted["CG"].args["blocks"])
    assert "sentry.io/organizations/acme/releases/" in text_of(posted["CI"].args["blocks"])
    assert globex.calls.last.request.headers["Authorization"] == "Bearer sntrys_globex_1"
    assert acme.call_count == 1

    assert await watch.tick() == (0, 0)  # seen: not again


async def test_a_subscription_without_workspace_is_not_posted_tokenless(
    app: SlackDriver,
    deps: Deps,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    acme = serve_releases(sentry, "https://sentry.io/api/0/organizations/acme", "backend@2.0.0")
    legacy, _ = await SubscriptionStore(deps.store).add("CL", "backend", None, user="U1")
    watch = watcher(deps, slack, clock=lambda: f.now() + timedelta(minutes=2), tenants=True)
    with caplog.at_level(logging.WARNING):
        assert await watch.tick() == (0, 0)
    assert f"release subscriptions {legacy.id} have no workspace" in caplog.text
    assert acme.call_count == 0 and slack.of("chat.postMessage") == []


async def test_subscribing_records_the_workspace(
    app: SlackDriver, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(f"{GLOBEX_API}/projects/").mock(
        return_value=Response(200, json=[f.project(2, "backend")])
    )
    await app.command("subscribe releases project:backend", team="TG", channel="CG")
    await slack.wait_for("response")
    [sub] = await SubscriptionStore(deps.store).all()
    assert (sub.team_id, sub.channel) == ("TG", "CG")
