"""`/dexter setup`: per-workspace Sentry settings, checked, encrypted; removed on uninstall."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import respx
from httpx import Response
from pydantic import SecretStr

from bot.core import messages
from bot.core.ids import BlockId, Callback
from bot.core.settings import Settings
from bot.deps import Deps
from bot.workspaces.sentry_config import WorkspaceSentry
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock
from tests.tenants import installation, installations, oauth_settings, served

TEAM_TOKEN = "sntrys_globex_token_77aa"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def bot(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    """The multi-workspace app with workspace T1 installed."""
    await installations(deps).async_save(installation("T1", "xoxb-t1-bot-token-0001"))
    async with served(settings, deps, slack) as driver:
        yield driver


def values(url: str = "https://sentry.io", org: str = "globex", token: str = TEAM_TOKEN) -> Any:
    return {
        BlockId.SETUP_URL: {"value": {"type": "url_text_input", "value": url}},
        BlockId.SETUP_ORG: {"value": {"type": "plain_text_input", "value": org}},
        BlockId.SETUP_TOKEN: {"value": {"type": "plain_text_input", "value": token}},
    }


def org_route(sentry: respx.MockRouter, response: Response) -> respx.Route:
    return sentry.get("organizations/globex/").mock(return_value=response)


async def test_admin_opens_the_setup_modal(bot: SlackDriver, slack: FakeSlack) -> None:
    slack.add_user("U1", email="ada@acme.io", admin=True)
    await bot.command("setup")
    [call] = await slack.wait_for("views.open")
    view = call.args["view"]
    assert view["callback_id"] == Callback.SENTRY_SETUP
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == [
        BlockId.SETUP_URL,
        BlockId.SETUP_ORG,
        BlockId.SETUP_TOKEN,
        BlockId.SETUP_HOOK_SECRET,
    ]


async def test_non_admin_is_refused(bot: SlackDriver, slack: FakeSlack) -> None:
    slack.add_user("U2", email="bob@acme.io", admin=False)
    await bot.command("setup", user="U2")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.SETUP_ADMIN_ONLY
    assert slack.of("views.open") == []


async def test_setup_needs_a_secret_key(
    slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    deps.workspaces.box = None
    from handlers.context import CommandContext
    from handlers.workspaces import setup_command

    with pytest.raises(Exception) as info:
        await setup_command(
            CommandContext(deps=deps, body={"user_id": "U1"}, respond=None, client=None),  # type: ignore[arg-type]
            "",
        )
    assert messages.SETUP_NEEDS_KEY in str(info.value)


async def test_bad_fields_are_shown_without_asking_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = org_route(sentry, Response(200, json={"name": "Globex"}))
    reply = await bot.view_submission(
        Callback.SENTRY_SETUP, values(url="sentry.io", org="Not A Slug!", token="has space")
    )
    errors = json.loads(reply.body)["errors"]
    assert errors == {
        BlockId.SETUP_URL: messages.SETUP_BAD_URL,
        BlockId.SETUP_ORG: messages.SETUP_BAD_ORG,
        BlockId.SETUP_TOKEN: messages.SETUP_BAD_TOKEN,
    }
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("response", "shown"),
    [
        (Response(401, json={"detail": "Invalid token"}), messages.SETUP_TOKEN_REFUSED),
        (Response(404), messages.SETUP_NO_ORG.format(org="globex")),
        (Response(503), messages.SETUP_STATUS.format(url="https://sentry.io", status=503)),
    ],
)
async def test_settings_sentry_refuses_are_not_saved(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    deps: Deps,
    response: Response,
    shown: str,
) -> None:
    slack.add_user("U1", email="ada@acme.io", admin=True)
    org_route(sentry, response)
    reply = await bot.view_submission(Callback.SENTRY_SETUP, values(), view_id="V7")
    assert json.loads(reply.body)["response_action"] == "update"  # "Checking…" at once
    [update] = await slack.wait_for("views.update")
    assert update.args["view_id"] == "V7"
    assert shown in json.dumps(update.args["view"])
    assert TEAM_TOKEN not in json.dumps(update.args["view"])  # never echoed back
    assert await deps.workspaces.get("T1") is None


async def test_saved_settings_are_encrypted_and_used(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    deps: Deps,
) -> None:
    slack.add_user("U1", email="ada@acme.io", admin=True)
    org_route(sentry, Response(200, json={"id": "9", "slug": "globex", "name": "Globex"}))
    await bot.view_submission(Callback.SENTRY_SETUP, values(), view_id="V7")
    [update] = await slack.wait_for("views.update")
    assert "Connected to *Globex*" in json.dumps(update.args["view"])

    raw = await deps.store.redis.get(deps.workspaces.key("T1"))
    assert raw is not None and TEAM_TOKEN.encode() not in raw
    stored = json.loads(raw)
    assert stored["org"] == "globex" and stored["updated_by"] == "U1"

    issues = sentry_mock.at("organizations/globex").issues([f.issue(3)])
    client = await deps.workspaces.client_for("T1")
    assert client.org == "globex"
    await client.get(client.org_path("issues"))
    assert issues.calls.last.request.headers["Authorization"] == f"Bearer {TEAM_TOKEN}"
    assert await deps.workspaces.client_for("T1") is client  # one pooled client per connection
    assert await deps.workspaces.client_for("T2") is deps.sentry  # others keep the environment's


async def test_environment_config_is_the_default(deps: Deps) -> None:
    client = await deps.workspaces.client_for("T1")
    assert client is deps.sentry and client.org == "acme"
    assert await deps.workspaces.client_for(None) is deps.sentry


async def test_other_key_cannot_read_the_token(deps: Deps, settings: Settings) -> None:
    await deps.workspaces.save(
        "T1", WorkspaceSentry(url="https://sentry.io", org="globex", token=SecretStr(TEAM_TOKEN))
    )
    from bot.workspaces.sentry_config import WorkspaceService

    other = WorkspaceService(
        settings.model_copy(update={"secret_key": SecretStr("another-key-" + "z" * 20)}),
        deps.store,
        deps.sentry,
        deps.metrics,
    )
    assert await other.get("T1") is None  # unreadable, so the environment's config is used


async def _save(deps: Deps) -> None:
    await deps.workspaces.save(
        "T1", WorkspaceSentry(url="https://sentry.io", org="globex", token=SecretStr(TEAM_TOKEN))
    )


async def test_app_uninstalled_removes_the_settings(bot: SlackDriver, deps: Deps) -> None:
    await _save(deps)
    reply = await bot.event({"type": "app_uninstalled"})
    assert reply.status == 200
    await _until_gone(deps)


async def _until_gone(deps: Deps) -> None:
    from tests.ops_support import eventually

    async def gone() -> bool:
        return await deps.store.redis.get(deps.workspaces.key("T1")) is None

    await eventually(gone)
    assert (await deps.workspaces.client_for("T1")) is deps.sentry


async def test_the_webhook_secret_is_saved_encrypted_and_kept_when_left_empty(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    hook = "whsec-globex-0b1c2d"
    slack.add_user("U1", email="ada@acme.io", admin=True)
    org_route(sentry, Response(200, json={"id": "9", "slug": "globex", "name": "Globex"}))
    with_hook = values() | {
        BlockId.SETUP_HOOK_SECRET: {"value": {"type": "plain_text_input", "value": hook}}
    }
    await bot.view_submission(Callback.SENTRY_SETUP, with_hook, view_id="V7")
    await slack.wait_for("views.update", 1)
    raw = await deps.store.redis.get(deps.workspaces.key("T1"))
    assert raw is not None and hook.encode() not in raw
    assert await deps.workspaces.with_hook_secret() == ["T1"]
    await bot.view_submission(Callback.SENTRY_SETUP, values(), view_id="V8")  # left empty
    await slack.wait_for("views.update", 2)
    cfg = await deps.workspaces.get("T1")
    assert cfg is not None and cfg.hook_secret is not None
    assert cfg.hook_secret.get_secret_value() == hook
    await deps.workspaces.delete("T1")
    assert await deps.workspaces.with_hook_secret() == []
