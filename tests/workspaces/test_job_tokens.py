"""Background jobs find their workspace's bot token: on Enterprise Grid, and after rotation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
import respx
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.settings import Settings
from bot.deps import Deps
from bot.slack.tenancy import TenantWebClient
from bot.slack.tokens import BotTokens
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.tenants import installation, installations, oauth_settings, served

FRESH = "xoxb-refreshed-token-2222"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def app(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    async with served(settings, deps, slack) as driver:
        yield driver


async def post_as(deps: Deps, slack: FakeSlack, team: str) -> str | None:
    """Post the way a digest does (a client without its own token); the token Slack saw."""
    client = TenantWebClient(base_url=slack.api_url)
    async with deps.tenancy.workspace(team):
        await client.chat_postMessage(channel="C1", text="digest")
    return slack.of("chat.postMessage")[-1].token


async def test_a_grid_workspace_install_is_found_by_its_team(
    app: SlackDriver, deps: Deps, slack: FakeSlack
) -> None:
    await installations(deps).async_save(
        installation("TG", "xoxb-grid-team-0001", enterprise_id="E1", enterprise_name="Globex")
    )
    assert await post_as(deps, slack, "TG") == "xoxb-grid-team-0001"


async def test_a_grid_install_saved_before_the_team_index_is_found(
    app: SlackDriver, deps: Deps, slack: FakeSlack
) -> None:
    store = installations(deps)
    await store.async_save(installation("TG", "xoxb-grid-team-0001", enterprise_id="E1"))
    await deps.store.redis.delete(store.teams_key)  # as stored by an older version
    assert await post_as(deps, slack, "TG") == "xoxb-grid-team-0001"


async def test_an_org_wide_install_serves_the_teams_it_has_heard_from(
    app: SlackDriver, deps: Deps, slack: FakeSlack
) -> None:
    org = installation(None, "xoxb-org-wide-0003", enterprise_id="E1", is_enterprise_install=True)
    await installations(deps).async_save(org)
    form = {
        "team_id": "TQ",
        "enterprise_id": "E1",
        "is_enterprise_install": "true",
        "api_app_id": "A1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/dexter",
        "text": "help",
        "response_url": slack.response_url("grid"),
        "trigger_id": "trig-grid",
    }
    await app.post(urlencode(form))
    await slack.wait_for("response")
    assert await post_as(deps, slack, "TQ") == "xoxb-org-wide-0003"


def rotator(slack: FakeSlack) -> AsyncTokenRotator:
    return AsyncTokenRotator(
        client_id="111.222",
        client_secret="client-secret-abc123",
        client=AsyncWebClient(base_url=slack.api_url),
    )


async def test_an_expiring_token_is_refreshed_once_across_replicas(
    app: SlackDriver, deps: Deps, slack: FakeSlack
) -> None:
    expiring = installation(
        "T1", "xoxb-about-to-expire-1", bot_refresh_token="xoxe-1-old", bot_token_expires_in=60
    )
    await installations(deps).async_save(expiring)

    def refresh(args: dict[str, Any]) -> dict[str, Any]:
        assert args["grant_type"] == "refresh_token" and args["refresh_token"] == "xoxe-1-old"
        return {
            "ok": True,
            "token_type": "bot",
            "access_token": FRESH,
            "refresh_token": "xoxe-1-new",
            "expires_in": 43200,
        }

    slack.on("oauth.v2.access", refresh)
    other_replica = BotTokens(deps.store, installations(deps), rotator(slack))
    ours = deps.tenancy.tokens
    assert ours is not None
    assert await asyncio.gather(ours.for_team("T1"), other_replica.for_team("T1")) == [FRESH] * 2
    assert len(slack.of("oauth.v2.access")) == 1  # one replica refreshed, the other read it
    assert await post_as(deps, slack, "T1") == FRESH
    saved = await installations(deps).async_find_bot(enterprise_id=None, team_id="T1")
    assert saved is not None and saved.bot_refresh_token == "xoxe-1-new"


async def test_a_job_posts_with_the_refreshed_token(
    app: SlackDriver, deps: Deps, slack: FakeSlack
) -> None:
    await installations(deps).async_save(
        installation("T1", "xoxb-expired-1", bot_refresh_token="xoxe-1", bot_token_expires_in=-5)
    )
    slack.on(
        "oauth.v2.access",
        {"ok": True, "token_type": "bot", "access_token": FRESH, "expires_in": 43200},
    )
    assert await post_as(deps, slack, "T1") == FRESH


async def test_shared_clients_use_the_asking_workspaces_token(
    app: SlackDriver, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    from tests.sentry_org import SentryOrg, add_slack_users

    await installations(deps).async_save(installation("T1", "xoxb-t1-bot-0001"))
    add_slack_users(slack)
    SentryOrg(sentry).install()
    await app.command("link")  # the user directory asks users.info for the email
    await slack.wait_for("response")
    assert [c.token for c in slack.of("users.info")] == ["xoxb-t1-bot-0001"]


def test_a_digest_client_built_during_a_request_keeps_no_workspace_token() -> None:
    from bot.digests.sender import digest_client
    from bot.slack.tenancy import slack_token

    shared = TenantWebClient(base_url="http://127.0.0.1:9/api/")
    during = slack_token.set("xoxb-the-requesting-workspace-1")
    try:
        client = digest_client(shared)
    finally:
        slack_token.reset(during)
    later = slack_token.set("xoxb-the-digest-workspace-2")
    try:
        assert client.token == "xoxb-the-digest-workspace-2"
    finally:
        slack_token.reset(later)
