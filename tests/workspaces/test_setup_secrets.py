"""The Sentry tokens typed into `/dexter setup` (a multi-workspace install) never reach a log."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from httpx import Response

from bot.core.ids import BlockId, Callback
from bot.core.settings import Settings
from bot.deps import Deps
from tests.core.test_logs_and_secrets import json_logs  # noqa: F401  (a fixture)
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.tenants import installation, installations, oauth_settings, served

TEAM_TOKEN = "sntrys_team_secret_token_91ab"
PLAIN_TEAM_TOKEN = "0f3c9a7be1d24c55a8e6b2d9c4f1a7e3"  # self-hosted tokens need not look like one
BOT_TOKEN = "xoxb-t1-bot-token-0001"
CLIENT_SECRET = "client-secret-abc123"
TYPED = (TEAM_TOKEN, PLAIN_TEAM_TOKEN)


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def bot(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    await installations(deps).async_save(installation("T1", BOT_TOKEN))
    slack.add_user("U1", email="ada@acme.io", admin=True)
    async with served(settings, deps, slack) as driver:
        yield driver


def _setup(token: str) -> dict[str, Any]:
    return {
        BlockId.SETUP_URL: {"value": {"type": "url_text_input", "value": "https://sentry.io"}},
        BlockId.SETUP_ORG: {"value": {"type": "plain_text_input", "value": "acme"}},
        BlockId.SETUP_TOKEN: {"value": {"type": "plain_text_input", "value": token}},
    }


async def _setup_bait(out: io.StringIO, bot: SlackDriver, slack: FakeSlack, sentry: Any) -> str:
    refused: set[str] = set()

    def verify(request: httpx.Request) -> Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if token in refused:
            return Response(200, json={"slug": "acme", "name": "Acme"})
        refused.add(token)  # the first try of each token: Sentry refuses it, quoting it back
        return Response(403, json={"detail": f"token {token} may not read this organization"})

    sentry.get("organizations/acme/").mock(side_effect=verify)
    await bot.view_submission(Callback.SENTRY_SETUP, _setup(TEAM_TOKEN), view_id="V1")
    await bot.view_submission(Callback.SENTRY_SETUP, _setup(PLAIN_TEAM_TOKEN), view_id="V2")
    await bot.view_submission(Callback.SENTRY_SETUP, _setup(PLAIN_TEAM_TOKEN), view_id="V3")
    await slack.wait_for("views.update", 3)
    return out.getvalue()


async def test_tokens_typed_into_setup_never_reach_the_logs(
    json_logs: io.StringIO,  # noqa: F811
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
) -> None:
    out = await _setup_bait(json_logs, bot, slack, sentry)
    # the typed tokens really went through Dexter (to Sentry) while everything was logged
    sent = [c.request.headers["Authorization"] for c in sentry.calls]
    assert sent == [f"Bearer {t}" for t in (TEAM_TOKEN, PLAIN_TEAM_TOKEN, PLAIN_TEAM_TOKEN)]
    assert len(out.splitlines()) > 10
    assert [s for s in (*TYPED, BOT_TOKEN, CLIENT_SECRET) if s in out] == []
    views = json.dumps([c.args for c in slack.of("views.update")])
    assert [s for s in TYPED if s in views] == []
    assert "Connected to *Acme*" in views  # the third try went through
