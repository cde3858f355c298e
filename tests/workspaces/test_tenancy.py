"""Multi-workspace installs: each workspace's requests and jobs use its own Sentry and token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import respx
from httpx import Response
from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation

from bot.app import create_app
from bot.core.crypto import SecretBox
from bot.core.settings import Settings
from bot.deps import Deps
from bot.sentry.client import SentryClient
from bot.slack.oauth_store import RedisInstallationStore
from bot.slack.tenancy import TenantWebClient
from bot.workspaces.sentry_config import WorkspaceSentry
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.sentry_mock import SentryMock
from tests.settings_factory import SENTRY_TOKEN, make_settings

KEY = "tenancy-test-secret-key-0123456789"
GLOBEX_TOKEN = "sntrys_globex_token_91cc"
GLOBEX_BOT = "xoxb-globex-bot-token-5555"
INITECH_BOT = "xoxb-initech-bot-token-6666"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(
        slack,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret-abc123",
        DEXTER_SECRET_KEY=KEY,
    )


def install(team: str, token: str) -> Installation:
    return Installation(
        app_id="A1",
        team_id=team,
        bot_token=token,
        bot_id=f"B{team}",
        bot_user_id=f"UB{team}",
        bot_scopes=["commands", "chat:write"],
        user_id="U1",
        installed_at=1_700_000_000.0,
    )


@pytest.fixture
async def server(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    store = RedisInstallationStore(deps.store, SecretBox(KEY))
    await store.async_save(install("TG", GLOBEX_BOT))
    await store.async_save(install("TI", INITECH_BOT))
    await deps.workspaces.save(
        "TG",
        WorkspaceSentry(url="https://de.sentry.io", org="globex", token=SecretStr(GLOBEX_TOKEN)),
    )
    slack.on("auth.test", lambda a: {"ok": True, "team_id": "TG", "user_id": "UB", "bot_id": "B"})
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(settings, deps), deps, slack, session) as driver,
    ):
        yield driver


async def test_each_workspace_searches_its_own_sentry(
    server: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    globex = sentry_mock.at("https://de.sentry.io/api/0/organizations/globex").issues(
        [f.issue(7, title="Globex boom")]
    )
    acme = sentry_mock.issues([f.issue(8, title="Acme boom")])
    await server.command("issues", team="TG")
    await server.command("issues", team="TI")
    first, second = await slack.wait_for("response", 2)
    texts = {str(first["blocks"]), str(second["blocks"])}
    assert any("Globex boom" in t for t in texts) and any("Acme boom" in t for t in texts)
    assert globex.calls.last.request.headers["Authorization"] == f"Bearer {GLOBEX_TOKEN}"
    assert acme.calls.last.request.headers["Authorization"] == f"Bearer {SENTRY_TOKEN}"
    assert globex.call_count == 1 and acme.call_count == 1


async def test_background_jobs_run_as_their_workspace(
    server: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    client = TenantWebClient(base_url=slack.api_url)  # like the digest sender: no own token
    sentry.get("https://de.sentry.io/api/0/organizations/globex/").mock(
        return_value=Response(200, json={"slug": "globex"})
    )
    async with deps.tenancy.workspace("TG"):
        assert deps.sentry.org == "globex" and deps.sentry.base_url == "https://de.sentry.io"
        await deps.sentry.get(deps.sentry.org_path())
        await client.chat_postMessage(channel="C1", text="digest")
    async with deps.tenancy.workspace("TI"):
        assert deps.sentry.org == "acme"
        await client.chat_postMessage(channel="C2", text="digest")
    assert deps.sentry.org == "acme"  # outside any job: the environment's
    tokens = [c.token for c in slack.of("chat.postMessage")]
    assert tokens == [GLOBEX_BOT, INITECH_BOT]


async def test_single_workspace_never_routes(deps: Deps) -> None:
    single = deps.settings.model_copy(update={"slack_client_id": None})
    assert not single.multi_workspace
    routed = Deps.__new__(Deps)
    routed.__dict__.update(deps.__dict__ | {"settings": single})
    async with routed.tenancy.workspace("TG"):
        assert routed.sentry.org == "acme"  # no OAuth: the environment's settings, always


async def test_routing_follows_the_context(deps: Deps) -> None:
    from bot.sentry.client import workspace_client

    other = SentryClient(base_url="https://de.sentry.io", token="t", org="other")
    token = workspace_client.set(other)
    try:
        assert deps.sentry.org == "other" and deps.sentry.org_path("x") == "organizations/other/x/"
    finally:
        workspace_client.reset(token)
        await other.aclose()
    assert deps.sentry.org == "acme"
