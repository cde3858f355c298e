"""Multi-workspace test set-up: OAuth settings, installations, a served app with two teams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation

from bot.app import create_app
from bot.core.crypto import SecretBox
from bot.core.settings import Settings
from bot.deps import Deps
from bot.slack.oauth_store import RedisInstallationStore
from bot.workspaces.sentry_config import WorkspaceSentry
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.settings_factory import make_settings

KEY = "tenancy-test-secret-key-0123456789"
INTERNAL = "https://sentry.acme.internal"
INTERNAL_TOKEN = "sntrys_internal_token_4c1d"
# Two workspaces of one install: Globex on its own Sentry (de.sentry.io), Initech on the
# environment's (acme on sentry.io).
GLOBEX_BOT = "xoxb-globex-bot-7777"
INITECH_BOT = "xoxb-initech-bot-8888"


def oauth_settings(slack: FakeSlack, **extra: Any) -> Settings:
    """Settings of a multi-workspace install (no SLACK_BOT_TOKEN)."""
    env: dict[str, Any] = {
        "SLACK_BOT_TOKEN": "",
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": "client-secret-abc123",
        "DEXTER_SECRET_KEY": KEY,
    }
    return make_settings(slack, **(env | extra))


def installation(team: str | None, token: str, **extra: Any) -> Installation:
    """A bot installation of `team` with `token`."""
    fields: dict[str, Any] = {
        "app_id": "A1",
        "team_id": team,
        "bot_token": token,
        "bot_id": f"B{team}",
        "bot_user_id": f"UB{team}",
        "bot_scopes": ["commands", "chat:write"],
        "user_id": "U1",
        "installed_at": 1_700_000_000.0,
    }
    return Installation(**(fields | extra))


def installations(deps: Deps) -> RedisInstallationStore:
    """The installation store the app would build on deps' Redis."""
    return RedisInstallationStore(deps.store, SecretBox(KEY))


async def connect(deps: Deps, team: str, url: str, org: str, token: str) -> None:
    """Save a workspace's own Sentry settings, as `/dexter setup` does."""
    await deps.workspaces.save(team, WorkspaceSentry(url=url, org=org, token=SecretStr(token)))


@asynccontextmanager
async def served(settings: Settings, deps: Deps, slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """The multi-workspace app over HTTP (auth.test answers for any team)."""
    slack.on("auth.test", lambda a: {"ok": True, "team_id": "T1", "user_id": "UB", "bot_id": "B"})
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(settings, deps), deps, slack, session) as driver,
    ):
        yield driver


@asynccontextmanager
async def globex_and_initech(
    settings: Settings, deps: Deps, slack: FakeSlack
) -> AsyncIterator[SlackDriver]:
    """The app serving workspace TG (Globex, its own Sentry) and TI (Initech, the default)."""
    await installations(deps).async_save(installation("TG", GLOBEX_BOT))
    await installations(deps).async_save(installation("TI", INITECH_BOT))
    await connect(deps, "TG", "https://de.sentry.io", "globex", "sntrys_globex_1")
    async with served(settings, deps, slack) as driver:
        yield driver
