"""Sentry caches are keyed by the Sentry identity (server + org), never by the slug alone."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator

import pytest
import respx

from bot.core.ids import Action
from bot.core.settings import Settings
from bot.deps import Deps
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.paths import REPO
from tests.sentry_mock import SentryMock
from tests.sentry_org import SentryOrg
from tests.tenants import (
    INTERNAL,
    INTERNAL_TOKEN,
    connect,
    installation,
    installations,
    oauth_settings,
    served,
)


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def two_servers(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    """TI uses the environment's sentry.io/acme; TX its own acme on another server."""
    store = installations(deps)
    await store.async_save(installation("TI", "xoxb-initech-0001"))
    await store.async_save(installation("TX", "xoxb-internal-0002"))
    await connect(deps, "TX", INTERNAL, "acme", INTERNAL_TOKEN)
    async with served(settings, deps, slack) as driver:
        yield driver


async def test_same_slug_on_another_server_grants_nothing(
    two_servers: SlackDriver,
    slack: FakeSlack,
    sentry_mock: SentryMock,
    org: SentryOrg,  # sentry.io/acme: bob is in #pay, not in #core; issue 1 is backend's (#core)
    deps: Deps,
) -> None:
    internal = sentry_mock.at(f"{INTERNAL}/api/0/organizations/acme").members(
        [f.member(2, "bob@acme.io", role="owner")]
    )
    async with deps.tenancy.workspace("TX"):  # the other server's directory is cached first
        assert [m.role for m in await deps.members.members()] == ["owner"]
    assert internal.calls.last.request.headers["Authorization"] == f"Bearer {INTERNAL_TOKEN}"

    await two_servers.action(
        Action.ISSUE_RESOLVE,
        selected_option={"value": "now|1", "text": {"type": "plain_text", "text": "Now"}},
        user="U2",
        team="TI",
    )
    [reply] = await slack.wait_for("response")
    assert "#core" in reply["text"] and "member" in reply["text"]  # refused: not in #core
    assert org.puts == []  # the issue was not touched
    async with deps.tenancy.workspace("TI"):
        assert {m.email: m.role for m in await deps.members.members()}["bob@acme.io"] == "member"


async def test_projects_and_short_ids_stay_with_their_server(
    two_servers: SlackDriver, sentry_mock: SentryMock, deps: Deps
) -> None:
    sentry_mock.projects([f.project(2, "backend")])
    sentry_mock.at(f"{INTERNAL}/api/0/organizations/acme").projects(
        [f.project(7, "secret-service")]
    )
    async with deps.tenancy.workspace("TX"):
        assert [p.slug for p in await deps.projects.all()] == ["secret-service"]
    async with deps.tenancy.workspace("TI"):
        assert [p.slug for p in await deps.projects.all()] == ["backend"]


async def test_digest_directory_is_per_server(
    two_servers: SlackDriver, sentry_mock: SentryMock, deps: Deps, slack: FakeSlack
) -> None:
    from bot.digests.parse import Target
    from bot.services import digests_of
    from bot.slack.tenancy import TenantWebClient

    digests = digests_of(deps, TenantWebClient(base_url=slack.api_url)).service
    sentry_mock.projects([f.project(2, "backend")])
    sentry_mock.at(f"{INTERNAL}/api/0/organizations/acme").projects([f.project(7, "backend")])
    async with deps.tenancy.workspace("TX"):
        _, [theirs] = await digests.scope(Target(projects=("backend",)))
    async with deps.tenancy.workspace("TI"):
        _, [ours] = await digests.scope(Target(projects=("backend",)))
    assert (theirs.id, ours.id) == ("7", "2")


def _key_calls(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "key"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def test_no_service_builds_a_sentry_cache_key_by_hand() -> None:
    scoped = {"cache", "shortid", "sentry", "cards", "activity"}
    offenders = [
        f"{path.relative_to(REPO)}:{line} key({first!r}, …)"
        for folder in ("bot", "handlers")
        for path in sorted((REPO / folder).rglob("*.py"))
        if path.name != "scope.py"
        for line, first in _key_calls(ast.parse(path.read_text()))
        if first in scoped
    ]
    assert offenders == [], "build Sentry cache keys with bot.sentry.scope.cache_key"
