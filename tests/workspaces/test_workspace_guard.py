"""Single-workspace mode serves the workspace its bot token belongs to (`auth.test`), and
refuses signed requests from any other: that workspace has no Dexter of its own here, and
would otherwise act with this workspace's token and Sentry."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
import respx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.workspace_guard import WRONG_WORKSPACE, InstalledWorkspace
from tests.fake_slack import FakeSlack
from tests.harness import Reply, SlackDriver
from tests.settings_factory import SECRETS


def grid_auth(*, org_wide: bool) -> dict[str, Any]:
    """auth.test of a bot installed in Enterprise Grid E1 (org-wide, or in workspace T1)."""
    return {
        "ok": True,
        "url": "https://acme-grid.enterprise.slack.com/",
        "team": "Acme",
        "user": "dexter",
        "team_id": "E1" if org_wide else "T1",
        "user_id": "UBOT",
        "bot_id": "BBOT",
        "enterprise_id": "E1",
        "is_enterprise_install": org_wide,
    }


async def grid_command(
    bot: SlackDriver, text: str, *, team: str, enterprise: str, org_wide: bool
) -> Reply:
    form = {
        "token": "legacy",
        "team_id": team,
        "team_domain": "acme",
        "enterprise_id": enterprise,
        "enterprise_name": "Acme Grid",
        "channel_id": "C1",
        "channel_name": "general",
        "user_id": "W1",
        "user_name": "ann",
        "command": "/dexter",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "true" if org_wide else "false",
        "response_url": bot.slack.response_url(f"grid-{team}-{text}"),
        "trigger_id": "trig-grid",
    }
    return await bot.post(urlencode(form))


async def test_another_workspace_is_refused_and_logged(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    text_logs: Callable[[str], io.StringIO],
) -> None:
    logs = text_logs("INFO")
    reply = await bot.command("issues", team="T2")
    assert reply.status == 200 and reply.body == WRONG_WORKSPACE

    clicked = await bot.action("issue_refresh", value="1", team="T2")
    assert clicked.status == 200 and clicked.body == ""
    await bot.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, team="T2")
    await bot.event({"type": "app_uninstalled"}, team="T2")

    # nothing ran: no answer through Slack, not one question to Sentry
    assert slack.responses == [] and slack.of("views.publish") == []
    assert sentry.calls.call_count == 0
    out = logs.getvalue()
    refusals = [line for line in out.splitlines() if "refusing a request from workspace T2" in line]
    assert len(refusals) == 4 and all("serves workspace T1" in line for line in refusals)
    assert not any(secret in out for secret in SECRETS)

    # the installed workspace is served as before
    await bot.command("help", team="T1")
    [answer] = await slack.wait_for("response")
    assert "/dexter" in json.dumps(answer)


async def test_an_org_wide_grid_install_serves_every_workspace_of_its_enterprise(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    slack.on("auth.test", grid_auth(org_wide=True))
    await grid_command(bot, "help", team="T5", enterprise="E1", org_wide=True)
    await grid_command(bot, "help", team="T6", enterprise="E1", org_wide=True)
    await slack.wait_for("response", 2)
    refused = await grid_command(bot, "help", team="T7", enterprise="E2", org_wide=False)
    assert refused.body == WRONG_WORKSPACE
    assert len(slack.responses) == 2


async def test_a_workspace_install_inside_a_grid_serves_that_workspace_only(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    slack.on("auth.test", grid_auth(org_wide=False))
    await grid_command(bot, "help", team="T1", enterprise="E1", org_wide=False)
    await slack.wait_for("response")
    refused = await grid_command(bot, "help", team="T5", enterprise="E1", org_wide=False)
    assert refused.body == WRONG_WORKSPACE
    assert len(slack.responses) == 1


async def test_the_installed_workspace_is_asked_once_and_a_failure_is_not_kept(
    slack: FakeSlack,
) -> None:
    client = AsyncWebClient(token="xoxb-test-bot-token-0000", base_url=slack.api_url)
    installed = InstalledWorkspace(client)
    slack.on("auth.test", {"ok": False, "error": "ratelimited"})
    await installed.warm()  # at start-up: logged, not raised, not kept
    with pytest.raises(SlackApiError, match="ratelimited"):
        await installed.get()
    slack.on("auth.test", grid_auth(org_wide=False))
    first = await installed.get()
    again = await installed.get()
    assert first is again and first.team_id == "T1" and first.enterprise_id == "E1"
    assert len(slack.of("auth.test")) == 3
    assert first.admits("T1", "E1") and not first.admits("T5", "E1") and not first.admits("", "")


async def test_the_start_up_hook_asks_in_the_background(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test-bot-token-0000", base_url=slack.api_url)
    installed = InstalledWorkspace(client)
    await installed.start()()  # returns at once; auth.test runs as a task
    await slack.wait_for("auth.test")  # the task holds the lock until it has the answer
    assert (await installed.get()).team_id == "T1"
    assert len(slack.of("auth.test")) == 1
