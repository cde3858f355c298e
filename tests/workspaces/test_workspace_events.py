"""Uninstall, token revocation and unfurls, per workspace of a multi-workspace install."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import respx

from bot.core.settings import Settings
from bot.deps import Deps
from handlers.unfurl import issue_links
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.ops_support import eventually
from tests.sentry_mock import SentryMock
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
async def server(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    await installations(deps).async_save(installation("T1", "xoxb-t1-bot-0001"))
    await installations(deps).async_save(installation("TX", "xoxb-tx-bot-0002"))
    await connect(deps, "T1", "https://de.sentry.io", "globex", "sntrys_globex_77")
    await connect(deps, "TX", INTERNAL, "internal", INTERNAL_TOKEN)
    async with served(settings, deps, slack) as driver:
        yield driver


async def test_a_revoked_bot_token_keeps_the_sentry_settings(
    server: SlackDriver, deps: Deps
) -> None:
    store = installations(deps)
    await server.event({"type": "tokens_revoked", "tokens": {"bot": ["UBT1"]}})

    async def tokens_gone() -> bool:
        return await store.async_find_bot(enterprise_id=None, team_id="T1") is None

    await eventually(tokens_gone)
    kept = await deps.workspaces.get("T1")
    assert kept is not None and kept.org == "globex"  # a reinstall finds them again


async def test_uninstall_forgets_tokens_and_settings(server: SlackDriver, deps: Deps) -> None:
    await server.event({"type": "app_uninstalled"})

    async def gone() -> bool:
        return await deps.workspaces.get("T1") is None

    await eventually(gone)
    assert await installations(deps).async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await deps.workspaces.get("TX") is not None  # another workspace is untouched


def shared(url: str) -> dict[str, object]:
    return {
        "type": "link_shared",
        "channel": "C7",
        "user": "U1",
        "message_ts": "1700000500.000100",
        "unfurl_id": "Uf1",
        "source": "conversations_history",
        "links": [{"domain": "sentry.acme.internal", "url": url}],
    }


async def test_unfurl_asks_the_workspaces_own_sentry(
    server: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    api = f"{INTERNAL}/api/0/organizations/internal"
    internal = sentry_mock.at(api)
    issue = internal.issue(f.issue(5, title="Internal boom"))
    internal.releases([])
    internal.card_extras()
    theirs = f"{INTERNAL}/organizations/internal/issues/5/"
    await server.event(shared(theirs), team="TX")
    [call] = await slack.wait_for("chat.unfurl")
    assert theirs in call.args["unfurls"] and call.token == "xoxb-tx-bot-0002"
    assert issue.calls.last.request.headers["Authorization"] == f"Bearer {INTERNAL_TOKEN}"


async def test_is_this_our_sentry_is_decided_per_workspace(server: SlackDriver, deps: Deps) -> None:
    theirs = [{"url": f"{INTERNAL}/organizations/internal/issues/5/"}]
    saas = [{"url": "https://globex.sentry.io/issues/5/"}]
    async with deps.tenancy.workspace("TX"):
        assert issue_links(theirs, deps.sentry) == [(theirs[0]["url"], "5")]
        assert issue_links(saas, deps.sentry) == []
    async with deps.tenancy.workspace("T1"):  # globex on de.sentry.io
        assert issue_links(theirs, deps.sentry) == []
        assert issue_links(saas, deps.sentry) == [(saas[0]["url"], "5")]
