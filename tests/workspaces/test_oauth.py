"""Multi-workspace install: Redis installation and state stores, the OAuth flow end to end."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
import respx
from slack_sdk.oauth.installation_store import Installation

from bot.app import create_app
from bot.core.crypto import SecretBox
from bot.core.settings import Settings
from bot.core.store import Store
from bot.deps import Deps
from bot.slack.oauth_store import RedisInstallationStore, RedisOAuthStateStore
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.sentry_mock import SentryMock
from tests.settings_factory import make_settings

KEY = "oauth-test-secret-key-0123456789"
INSTALLED_TOKEN = "xoxb-installed-T9-token"


def installation(token: str = INSTALLED_TOKEN, user: str = "U9", **extra: object) -> Installation:
    return Installation(
        app_id="A1",
        team_id="T9",
        user_id=user,
        bot_token=token,
        bot_id="B9",
        bot_user_id="UB9",
        bot_scopes=["commands", "chat:write"],
        **extra,  # type: ignore[arg-type]
    )


async def test_installations_are_encrypted_and_found(store: Store) -> None:
    inst = RedisInstallationStore(store, SecretBox(KEY))
    await inst.async_save(installation())
    raw = await store.redis.hgetall(store.key("install", "none-T9"))
    assert raw and all(INSTALLED_TOKEN.encode() not in v for v in raw.values())
    bot = await inst.async_find_bot(enterprise_id=None, team_id="T9")
    assert bot is not None and bot.bot_token == INSTALLED_TOKEN
    found = await inst.async_find_installation(enterprise_id=None, team_id="T9", user_id="U9")
    assert found is not None and found.user_id == "U9"
    assert await inst.async_find_bot(enterprise_id=None, team_id="T404") is None


async def test_rotated_bot_token_wins_over_the_installer_record(store: Store) -> None:
    inst = RedisInstallationStore(store, SecretBox(KEY))
    await inst.async_save(installation(bot_refresh_token="xoxe-1", bot_token_expires_in=60))
    rotated = installation(token="xoxb-rotated-token").to_bot()
    await inst.async_save_bot(rotated)
    found = await inst.async_find_installation(enterprise_id=None, team_id="T9")
    assert found is not None and found.bot_token == "xoxb-rotated-token"


async def test_delete_all_forgets_the_workspace(store: Store) -> None:
    inst = RedisInstallationStore(store, SecretBox(KEY))
    await inst.async_save(installation())
    await inst.async_delete_installation(enterprise_id=None, team_id="T9", user_id="U9")
    assert (
        await inst.async_find_installation(enterprise_id=None, team_id="T9", user_id="U9") is None
    )
    assert await inst.async_find_bot(enterprise_id=None, team_id="T9") is not None
    await inst.async_delete_all(enterprise_id=None, team_id="T9")
    assert await inst.async_find_bot(enterprise_id=None, team_id="T9") is None


async def test_oauth_state_works_once(store: Store) -> None:
    states = RedisOAuthStateStore(store)
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("made-up") is False


async def test_oauth_state_expires(store: Store) -> None:
    states = RedisOAuthStateStore(store, expiration_seconds=1)
    state = await states.async_issue()
    ttl = await store.redis.ttl(store.key("oauth-state", state))
    assert 0 < ttl <= 1


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(
        slack,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret-abc123",
        DEXTER_SECRET_KEY=KEY,
        DEXTER_PUBLIC_URL="https://dexter.example.com",
    )


@pytest.fixture
async def server(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(settings, deps), deps, slack, session) as driver,
    ):
        yield driver


async def test_install_then_use_the_installed_token(
    server: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    deps: Deps,
) -> None:
    slack.on(
        "oauth.v2.access",
        {
            "ok": True,
            "app_id": "A1",
            "access_token": INSTALLED_TOKEN,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "UB9",
            "team": {"id": "T9", "name": "Initech"},
            "authed_user": {"id": "U9"},
        },
    )
    slack.on("auth.test", {"ok": True, "team_id": "T9", "user_id": "UB9", "bot_id": "B9"})
    async with server.session.get(f"{server.bot_url}/slack/install", allow_redirects=False) as r:
        assert r.status in (200, 302)
        page = await r.text()
        cookie = r.headers["Set-Cookie"].split(";")[0]
    url = re.search(r"https://slack\.com/oauth/v2/authorize\?[^\"']+", page)
    assert url is not None
    query = parse_qs(urlparse(url.group(0).replace("&amp;", "&")).query)
    assert query["client_id"] == ["111.222"]
    assert query["redirect_uri"] == ["https://dexter.example.com/slack/oauth_redirect"]
    state = query["state"][0]

    redirect = f"{server.bot_url}/slack/oauth_redirect?code=c0de&state={state}"
    async with server.session.get(redirect, headers={"Cookie": cookie}) as r:
        assert r.status == 200, await r.text()
    # the state cannot be used twice
    async with server.session.get(redirect, headers={"Cookie": cookie}) as r:
        assert r.status >= 400

    sentry_mock.issues([f.issue(1)])
    sentry_mock.issue(f.issue(1))
    sentry_mock.card_extras()
    await server.command("issue 1", team="T9")
    [post] = await slack.wait_for("chat.postMessage")
    assert post.token == INSTALLED_TOKEN

    # after an uninstall the workspace's requests no longer run anything
    inst = RedisInstallationStore(deps.store, SecretBox(KEY))
    await inst.async_delete_all(enterprise_id=None, team_id="T9")
    calls = len(sentry.calls)
    reply = await server.command("issue 1", team="T9")
    assert reply.status == 200
    await server.idle()
    assert len(sentry.calls) == calls and len(slack.of("chat.postMessage")) == 1


def test_settings_need_a_secret_key_with_oauth() -> None:
    from bot.core.settings import ConfigError, load_settings

    with pytest.raises(ConfigError) as info:
        load_settings(
            _env_file=None,
            SLACK_SIGNING_SECRET="s" * 10,
            SENTRY_AUTH_TOKEN="t",
            SENTRY_ORG="a",
            SLACK_CLIENT_ID="1.2",
            SLACK_CLIENT_SECRET="x",
        )
    assert info.value.problems[0].startswith("DEXTER_SECRET_KEY is not set")


def test_single_workspace_settings_still_need_the_bot_token() -> None:
    from bot.core.settings import ConfigError, load_settings

    with pytest.raises(ConfigError) as info:
        load_settings(
            _env_file=None, SLACK_SIGNING_SECRET="s" * 10, SENTRY_AUTH_TOKEN="t", SENTRY_ORG="a"
        )
    assert info.value.problems[0].startswith("SLACK_BOT_TOKEN is not set")
    ok = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s" * 10,
        SENTRY_AUTH_TOKEN="t",
        SENTRY_ORG="a",
    )
    assert not ok.multi_workspace and time.time() > 0


def test_manifest_for_many_workspaces() -> None:
    from bot.slack.manifest import build_manifest

    m = build_manifest(
        socket_mode=False,
        public_url="https://dexter.acme.com",
        sentry_url="https://sentry.io",
        oauth=True,
    )
    assert m["oauth_config"]["redirect_urls"] == ["https://dexter.acme.com/slack/oauth_redirect"]
    assert m["settings"]["token_rotation_enabled"] is True
    single = build_manifest(socket_mode=False, public_url=None, sentry_url="https://sentry.io")
    assert "redirect_urls" not in single["oauth_config"]
    assert single["settings"]["token_rotation_enabled"] is False


def test_the_manifest_asks_only_for_scopes_dexter_uses() -> None:
    from bot.slack.manifest import build_manifest

    m = build_manifest(socket_mode=False, public_url=None, sentry_url="https://sentry.io")
    assert set(m["oauth_config"]["scopes"]["bot"]) == {
        "commands",  # /dexter
        "chat:write",  # cards, notices, digests, ephemeral answers
        "chat:write.public",  # notices in channels the bot was not invited to
        "files:write",  # charts and exports
        "links:read",  # link_shared
        "links:write",  # chat.unfurl
        "users:read",  # users.info: admin flag, time zone
        "users:read.email",  # users.info: the email that links a Sentry member
        "channels:read",  # conversations.info: who created a channel (digests)
        "groups:read",  # the same for private channels
        "channels:history",  # message events: replies in card threads become Sentry comments
        "groups:history",  # the same in private channels
    }


async def test_a_rejected_oauth_code_is_not_logged(
    server: SlackDriver, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import logging

    from bot.core.logs import setup_logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", root.handlers[:])
    monkeypatch.setattr(root, "level", root.level)
    setup_logging("DEBUG", "text")
    out = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)

    slack.on("oauth.v2.access", {"ok": False, "error": "invalid_code"})
    async with server.session.get(f"{server.bot_url}/slack/install", allow_redirects=False) as r:
        page = await r.text()
        cookie = r.headers["Set-Cookie"].split(";")[0]
    found = re.search(r"state=([A-Za-z0-9_-]+)", page)
    assert found is not None
    code = "4724469134.4644010092847.232b4e6d82c333b4"
    redirect = f"{server.bot_url}/slack/oauth_redirect?code={code}&state={found.group(1)}"
    async with server.session.get(redirect, headers={"Cookie": cookie}) as r:
        assert r.status >= 400
    assert slack.of("oauth.v2.access")  # Bolt tried the code and logged the failure
    logged = out.getvalue()
    assert "oauth.v2.access" in logged and code not in logged
