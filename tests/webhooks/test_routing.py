"""Routing: a delivery reaches the handler of its resource, as the workspace that signed it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import respx
from pydantic import SecretStr

from bot.app import create_app
from bot.core.settings import Settings
from bot.deps import Deps
from bot.webhooks.types import Delivery
from bot.workspaces.sentry_config import WorkspaceSentry
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.settings_factory import make_settings
from tests.tenants import installation, installations, oauth_settings
from tests.webhook_payloads import envelope, signed
from tests.webhook_payloads import installation as installation_payload

GLOBEX_HOOK = "globex-hook-secret-2b7d"
INITECH_HOOK = "initech-hook-secret-8f1e"
GLOBEX_UUID = "11111111-2222-4333-8444-555555555555"


async def post(driver: SlackDriver, body: bytes, headers: dict[str, str]) -> int:
    async with driver.session.post(
        f"{driver.bot_url}/sentry/webhook", data=body, headers=headers
    ) as resp:
        return resp.status


Seen = list[tuple[str, Delivery, str]]


def probe(deps: Deps, *resources: str) -> Seen:
    """Handlers for `resources` recording (resource, delivery, Sentry org they ran against)."""
    seen: Seen = []
    assert deps.webhooks is not None
    for resource in resources:

        async def handler(delivery: Delivery, resource: str = resource) -> None:
            seen.append((resource, delivery, deps.sentry.org))

        deps.webhooks.register(resource, handler)
    return seen


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def many(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    """Two workspaces, each with its own Sentry organisation and webhook secret."""
    store = installations(deps)
    await store.async_save(installation("TG", "xoxb-globex-1"))
    await store.async_save(installation("TI", "xoxb-initech-1"))
    for team, org, secret in (("TG", "globex", GLOBEX_HOOK), ("TI", "initech", INITECH_HOOK)):
        cfg = WorkspaceSentry(
            url="https://sentry.io",
            org=org,
            token=SecretStr(f"sntrys_{org}_token"),
            hook_secret=SecretStr(secret),
        )
        await deps.workspaces.save(team, cfg)
    slack.on("auth.test", lambda a: {"ok": True, "team_id": "TG", "user_id": "UB", "bot_id": "B"})
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(settings, deps), deps, slack, session) as driver,
    ):
        yield driver


async def test_the_secret_that_verifies_names_the_workspace(many: SlackDriver, deps: Deps) -> None:
    seen = probe(deps, "event_alert", "metric_alert")
    body, headers = signed(envelope("triggered", {"n": 1}), "event_alert", secret=GLOBEX_HOOK)
    assert await post(many, body, headers) == 200
    other = envelope("critical", {"n": 2}, installation="99999999-0000-4000-8000-000000000000")
    body, headers = signed(other, "metric_alert", secret=INITECH_HOOK)
    assert await post(many, body, headers) == 200
    await many.idle()
    got = {(resource, d.team_id, org) for resource, d, org in seen}
    assert got == {("event_alert", "TG", "globex"), ("metric_alert", "TI", "initech")}


async def test_the_secret_is_stored_encrypted(many: SlackDriver, deps: Deps) -> None:
    raw = await deps.store.redis.get(deps.workspaces.key("TG"))
    assert raw is not None and GLOBEX_HOOK.encode() not in raw
    cfg = await deps.workspaces.get("TG")
    assert cfg is not None and cfg.hook_secret is not None
    assert cfg.hook_secret.get_secret_value() == GLOBEX_HOOK


async def test_a_secret_no_workspace_holds_is_refused(many: SlackDriver, deps: Deps) -> None:
    seen = probe(deps, "issue")
    body, headers = signed(envelope("resolved", {}), "issue", secret="someone-elses-secret")
    assert await post(many, body, headers) == 401
    await many.idle()
    assert seen == []


async def test_a_deleted_installation_is_refused_afterwards(many: SlackDriver, deps: Deps) -> None:
    seen = probe(deps, "issue")
    payload = envelope("resolved", {}, installation=GLOBEX_UUID)
    body, headers = signed(payload, "issue", secret=GLOBEX_HOOK)
    assert await post(many, body, headers) == 200
    await many.idle()
    body, headers = signed(
        installation_payload("deleted", GLOBEX_UUID), "installation", secret=GLOBEX_HOOK
    )
    assert await post(many, body, headers) == 200
    await many.idle()
    body, headers = signed(payload, "issue", secret=GLOBEX_HOOK)
    assert await post(many, body, headers) == 404
    await many.idle()
    assert len(seen) == 1


async def test_without_any_secret_the_installation_is_unknown(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(settings, deps), deps, slack, session) as driver,
    ):
        body, headers = signed(envelope("resolved", {}), "issue")
        assert await post(driver, body, headers) == 404


async def test_a_resource_nobody_handles_is_dropped_quietly(many: SlackDriver, deps: Deps) -> None:
    body, headers = signed(envelope("created", {}), "error", secret=GLOBEX_HOOK)
    assert await post(many, body, headers) == 200
    await many.idle()
    assert deps.pipeline is not None
    dead = await deps.store.redis.xlen(deps.pipeline.queue.dead)
    assert dead == 0


async def test_one_workspace_without_a_secret_serves_no_webhook(
    slack: FakeSlack, store: object, sentry: respx.MockRouter
) -> None:
    from bot.core.store import Store
    from bot.deps import build_deps

    assert isinstance(store, Store)
    plain = make_settings(slack)
    d = await build_deps(plain, store=store)
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(plain, d), d, slack, session) as driver,
    ):
        body, headers = signed(envelope("resolved", {}), "issue")
        assert await post(driver, body, headers) == 404
    await d.sentry.aclose()


async def test_many_workspaces_ignore_the_environments_secret(
    slack: FakeSlack, sentry: respx.MockRouter, store: object
) -> None:
    from bot.core.store import Store
    from bot.deps import build_deps

    assert isinstance(store, Store)
    both = oauth_settings(slack, SENTRY_CLIENT_SECRET="env-secret-4411")
    d = await build_deps(both, store=store)
    async with (
        aiohttp.ClientSession() as session,
        serve_bot(create_app(both, d), d, slack, session) as driver,
    ):
        seen = probe(d, "issue")
        body, headers = signed(envelope("resolved", {}), "issue", secret="env-secret-4411")
        assert await post(driver, body, headers) == 404  # whose workspace would it be?
        await driver.idle()
        assert seen == []
    await d.sentry.aclose()
