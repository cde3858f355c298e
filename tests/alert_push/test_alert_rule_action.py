"""Dexter's alert-rule action in Sentry: the UI schema, and the settings check Sentry POSTs
when a rule is saved (src/sentry/sentry_apps/external_requests/alert_rule_action_requester.py:
body `{"fields": [...], "installationId": uuid}`, `Sentry-App-Signature` = hex HMAC-SHA256
of the body with the client secret; 2xx saves the rule, and `message` is shown either way)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import aiohttp
import pytest

from bot.alert_push import texts
from bot.alert_push.action import CHANNELS_URI, SETTINGS_URI, alert_rule_action_schema
from bot.app import create_app
from bot.core.settings import Settings
from bot.deps import build_deps
from tests.alert_factories import INSTALLATION
from tests.alert_push.test_alert_push import CHANNEL, channels
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.paths import REPO
from tests.settings_factory import make_settings

SECRET = "s3cr3t-client-secret"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack, SENTRY_CLIENT_SECRET=SECRET)


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def save_rule(
    bot: SlackDriver, channel: Any, *, secret: str = SECRET
) -> tuple[int, dict[str, Any]]:
    body = json.dumps(
        {"fields": [{"name": "channel", "value": channel}], "installationId": INSTALLATION}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Request-ID": "0f1e2d3c",
        "Sentry-App-Signature": sign(body, secret),
    }
    async with bot.session.post(bot.bot_url + SETTINGS_URI, data=body, headers=headers) as resp:
        return resp.status, await resp.json()


def test_schema_is_what_sentrys_validator_accepts() -> None:
    # The rules of src/sentry/sentry_apps/api/parsers/schema.py, element by element.
    schema = alert_rule_action_schema()
    [element] = schema["elements"]
    assert element["type"] == "alert-rule-action"
    assert isinstance(element["title"], str) and element["title"]
    settings = element["settings"]
    assert settings["type"] == "alert-rule-settings"
    assert settings["uri"].startswith("/") and settings["uri"] == SETTINGS_URI
    assert 1 <= len(settings["description"]) <= 140
    [field] = settings["required_fields"]
    assert {"type", "name", "label"} <= field.keys()
    assert field["type"] == "select" and field["name"] == "channel"
    assert ("uri" in field) != ("options" in field)  # oneOf: exactly one of them
    assert field["uri"].startswith("/") and field["uri"] == CHANNELS_URI
    # only keys the validator's definitions know
    assert set(element) == {"type", "title", "settings"}
    assert set(settings) <= {"type", "description", "uri", "required_fields", "optional_fields"}
    assert set(field) <= {"type", "label", "name", "async", "skip_load_on_open", "uri", "options"}


async def test_saving_a_rule_with_a_channel_dexter_is_in(
    bot: SlackDriver, slack: FakeSlack
) -> None:
    channels(slack)
    status, body = await save_rule(bot, CHANNEL)
    assert (status, body) == (200, {"message": texts.CHANNEL_OK})
    [info] = slack.of("conversations.info")
    assert info.args["channel"] == CHANNEL


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("C0OTHER01", texts.CHANNEL_NOT_MEMBER),
        ("C0NOWHERE", texts.CHANNEL_UNKNOWN),
        ("#general", texts.CHANNEL_NOT_AN_ID),
        ("", texts.CHANNEL_MISSING),
    ],
)
async def test_saving_a_rule_with_a_channel_dexter_cannot_use_is_refused(
    bot: SlackDriver, slack: FakeSlack, channel: str, message: str
) -> None:
    channels(slack)
    status, body = await save_rule(bot, channel)
    assert (status, body) == (400, {"message": message})


async def test_unsigned_or_forged_requests_are_refused_without_asking_slack(
    bot: SlackDriver, slack: FakeSlack
) -> None:
    channels(slack)
    status, _ = await save_rule(bot, CHANNEL, secret="not-the-secret")
    assert status == 401
    async with bot.session.post(bot.bot_url + SETTINGS_URI, json={"fields": []}) as resp:
        assert resp.status == 401
    async with bot.session.get(bot.bot_url + CHANNELS_URI) as resp:
        assert resp.status == 401
    assert not slack.of("conversations.info") and not slack.of("users.conversations")


async def test_channel_options_list_the_channels_dexter_is_in(
    bot: SlackDriver, slack: FakeSlack
) -> None:
    slack.on(
        "users.conversations",
        {
            "ok": True,
            "channels": [{"id": "C0ALERTS1", "name": "alerts"}, {"id": "C0OPS0001", "name": "ops"}],
            "response_metadata": {"next_cursor": ""},
        },
    )
    headers = {"Sentry-App-Signature": sign(b"")}  # select_requester.py signs the empty body
    url = f"{bot.bot_url}{CHANNELS_URI}?installationId={INSTALLATION}&query=al"
    async with bot.session.get(url, headers=headers) as resp:
        assert resp.status == 200
        assert await resp.json() == [{"label": "#alerts", "value": "C0ALERTS1"}]


async def test_without_a_client_secret_there_is_no_endpoint(
    slack: FakeSlack, store: Any, sentry: Any
) -> None:
    deps = await build_deps(make_settings(slack), store=store)
    try:
        async with (
            aiohttp.ClientSession() as session,
            serve_bot(create_app(deps.settings, deps), deps, slack, session) as bot,
            bot.session.post(bot.bot_url + SETTINGS_URI, data=b"{}") as resp,
        ):
            status = resp.status
    finally:
        await deps.sentry.aclose()
    assert status == 404


def test_the_documented_schema_is_the_one_dexter_serves() -> None:
    doc = REPO / "docs" / "sentry-integration.md"
    block = re.search(r"```json\n(.*?)```", doc.read_text(), re.S)
    assert block is not None
    assert json.loads(block.group(1)) == alert_rule_action_schema()
