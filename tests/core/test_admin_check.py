"""One admin check: a Slack workspace admin or owner, or a user listed in DEXTER_ADMINS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import SlackUnavailable
from bot.core.settings import Settings
from bot.core.store import Store
from bot.deps import Deps, build_deps
from bot.slack.directory import SlackDirectory
from handlers.context import Interaction
from tests.fake_slack import FakeSlack
from tests.paths import REPO
from tests.settings_factory import SLACK_BOT_TOKEN, make_settings


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack, DEXTER_ADMINS="U9")


@pytest.fixture
async def admin_deps(settings: Settings, store: Store, slack: FakeSlack) -> AsyncIterator[Deps]:
    d = await build_deps(settings, store=store)
    client = AsyncWebClient(token=SLACK_BOT_TOKEN, base_url=slack.api_url)
    d.directory = SlackDirectory(client, store, settings)
    yield d
    await d.sentry.aclose()


def _ctx(deps: Deps, user: str) -> Interaction:
    body = {"team_id": "T1", "user_id": user, "channel_id": "C1"}
    client = AsyncWebClient(token=SLACK_BOT_TOKEN, base_url="http://127.0.0.1:9/api/")
    return Interaction(deps=deps, body=body, respond=None, client=client)


async def test_admins_and_owners_are_admins_members_are_not(
    admin_deps: Deps, slack: FakeSlack
) -> None:
    slack.add_user("UA", email="a@example.com", admin=True)
    slack.add_user("UO", email="o@example.com")
    slack.users["UO"]["is_owner"] = True
    slack.add_user("UM", email="m@example.com")
    assert await _ctx(admin_deps, "UA").is_admin()
    assert await _ctx(admin_deps, "UO").is_admin()
    assert not await _ctx(admin_deps, "UM").is_admin()
    assert not await _ctx(admin_deps, "UNKNOWN").is_admin()  # Slack: user_not_found


async def test_dexter_admins_need_no_slack_lookup(admin_deps: Deps, slack: FakeSlack) -> None:
    assert await _ctx(admin_deps, "U9").is_admin()
    assert slack.of("users.info") == []


async def test_slack_failing_is_not_read_as_not_admin(admin_deps: Deps, slack: FakeSlack) -> None:
    slack.on("users.info", {"ok": False, "error": "internal_error"})
    with pytest.raises(SlackUnavailable):
        await _ctx(admin_deps, "UA").is_admin()


def test_no_other_module_reads_slacks_admin_flags() -> None:
    readers = [
        str(p.relative_to(REPO))
        for top in ("bot", "handlers")
        for p in (REPO / top).rglob("*.py")
        if "is_owner" in p.read_text()
    ]
    assert readers == ["bot/slack/directory.py"]
