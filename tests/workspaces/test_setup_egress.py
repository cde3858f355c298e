"""`/dexter setup` checks exactly what was entered, and never connects inward (SSRF)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx
import pytest
import respx
from httpx import Response
from pydantic import SecretStr

from bot.core import messages
from bot.core.ids import BlockId, Callback
from bot.core.settings import Settings
from bot.deps import Deps
from bot.sentry.egress import NOT_PUBLIC, EgressPolicy, EgressRefused, GuardedBackend
from tests.fake_dns import FAKE_DNS, fake_resolver
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.tenants import INTERNAL, connect, installation, installations, oauth_settings, served

TOKEN = "sntrys_entered_token_9f3e"
OLD_TOKEN = "sntrys_current_token_1a2b"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def bot(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    await installations(deps).async_save(installation("T1", "xoxb-t1-bot-token-0001"))
    slack.add_user("U1", email="ada@acme.io", admin=True)
    async with served(settings, deps, slack) as driver:
        yield driver


def values(url: str, org: str = "globex", token: str = TOKEN) -> dict[str, Any]:
    return {
        BlockId.SETUP_URL: {"value": {"type": "url_text_input", "value": url}},
        BlockId.SETUP_ORG: {"value": {"type": "plain_text_input", "value": org}},
        BlockId.SETUP_TOKEN: {"value": {"type": "plain_text_input", "value": token}},
    }


async def submit(bot: SlackDriver, slack: FakeSlack, url: str, **kw: str) -> str:
    """Submit the form; the text of the modal Dexter shows afterwards."""
    await bot.view_submission(Callback.SENTRY_SETUP, values(url, **kw), view_id="V7")
    [update] = await slack.wait_for("views.update")
    return json.dumps(update.args["view"])


async def test_the_entered_url_and_token_are_checked_not_the_current_ones(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    await connect(deps, "T1", "https://de.sentry.io", "globex", OLD_TOKEN)
    current = sentry.get("https://de.sentry.io/api/0/organizations/globex/").mock(
        return_value=Response(200, json={"slug": "globex", "name": "Old Globex"})
    )
    entered = sentry.get("https://sentry.io/api/0/organizations/globex/").mock(
        return_value=Response(200, json={"slug": "globex", "name": "Globex"})
    )
    shown = await submit(bot, slack, "https://sentry.io")
    assert "Connected to *Globex*" in shown
    assert current.call_count == 0
    assert entered.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
    saved = await deps.workspaces.get("T1")
    assert saved is not None and saved.base == "https://sentry.io"


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # cloud metadata
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "224.0.0.251",  # multicast
        "240.0.0.1",  # reserved
        "::1",
        "fe80::1",
        "fd00::5",
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    ],
)
async def test_hosts_that_resolve_inward_are_refused_before_any_request(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
    address: str,
) -> None:
    monkeypatch.setitem(FAKE_DNS, "sentry.evil.example", ["35.186.247.156", address])
    inward = sentry.route(host="sentry.evil.example").mock(
        return_value=Response(200, json={"slug": "globex", "password": "hunter2"})
    )
    shown = await submit(bot, slack, "https://sentry.evil.example")
    assert json.dumps(NOT_PUBLIC.format(host="sentry.evil.example"))[1:-1] in shown
    assert inward.call_count == 0 and TOKEN not in shown


async def test_an_address_literal_is_checked_too(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    metadata = sentry.route(host="169.254.169.254").mock(return_value=Response(200, json={}))
    shown = await submit(bot, slack, "https://169.254.169.254")
    assert "private or reserved network" in shown and metadata.call_count == 0


async def test_a_malformed_url_is_explained(bot: SlackDriver, slack: FakeSlack) -> None:
    shown = await submit(bot, slack, "https://sentry.io:99999")
    assert json.dumps(messages.SETUP_BAD_URL)[1:-1] in shown


async def test_plain_http_is_refused_in_the_form(
    bot: SlackDriver, sentry: respx.MockRouter
) -> None:
    route = sentry.route(host="sentry.io").mock(return_value=Response(200, json={}))
    reply = await bot.view_submission(Callback.SENTRY_SETUP, values("http://sentry.io"))
    assert json.loads(reply.body)["errors"] == {BlockId.SETUP_URL: messages.SETUP_BAD_URL}
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            Response(403, json={"detail": "db_password=hunter2"}),
            messages.SETUP_FORBIDDEN.format(org="globex"),
        ),
        (
            Response(500, text="<h1>admin console</h1> root:hunter2"),
            messages.SETUP_STATUS.format(url="https://sentry.io", status=500),
        ),
        (
            Response(200, json={"config": {"password": "hunter2"}}),
            messages.SETUP_NOT_SENTRY.format(url="https://sentry.io", org="globex"),
        ),
        (
            Response(302, headers={"Location": "http://10.0.0.1/hunter2"}),
            messages.SETUP_REDIRECT.format(url="https://sentry.io"),
        ),
    ],
)
async def test_a_foreign_answer_is_never_echoed(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    response: Response,
    expected: str,
) -> None:
    sentry.get("https://sentry.io/api/0/organizations/globex/").mock(return_value=response)
    followed = sentry.route(host="10.0.0.1").mock(return_value=Response(200, json={}))
    shown = await submit(bot, slack, "https://sentry.io")
    assert json.dumps(expected)[1:-1] in shown
    assert "hunter2" not in shown and followed.call_count == 0


async def test_the_operator_may_allow_a_private_sentry(
    bot: SlackDriver, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    allowed = oauth_settings(slack, DEXTER_SENTRY_ALLOWED_HOSTS="sentry.acme.internal,10.9.0.0/16")
    policy = EgressPolicy.from_setting(allowed.sentry_allowed_hosts, resolver=fake_resolver)
    deps.workspaces.egress = policy
    sentry.get(f"{INTERNAL}/api/0/organizations/globex/").mock(
        return_value=Response(200, json={"slug": "globex", "name": "Globex Internal"})
    )
    assert "Connected to *Globex Internal*" in await submit(bot, slack, INTERNAL)
    assert await policy.addresses("10.9.8.7", 443) == ["10.9.8.7"]
    with pytest.raises(EgressRefused):
        await policy.addresses("10.10.0.1", 443)


def test_allowed_hosts_must_be_names_or_ranges(slack: FakeSlack) -> None:
    from bot.core.settings import ConfigError

    with pytest.raises(ConfigError, match="DEXTER_SENTRY_ALLOWED_HOSTS"):
        oauth_settings(slack, DEXTER_SENTRY_ALLOWED_HOSTS="https://sentry.corp/")


async def test_an_expired_trigger_is_explained(bot: SlackDriver, slack: FakeSlack) -> None:
    slack.on("views.open", {"ok": False, "error": "expired_trigger_id"})
    await bot.command("setup")
    [reply] = await slack.wait_for("response")
    assert reply["text"] == messages.MODAL_NOT_OPENED.format(error="expired_trigger_id")


async def test_single_workspace_refuses_setup_with_a_clear_sentence(
    slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    from tests.settings_factory import make_settings

    single = make_settings(slack, DEXTER_SECRET_KEY="a-long-random-secret-key-0123456789")
    deps.settings = single
    deps.workspaces.settings = single
    async with served(single, deps, slack) as bot:
        slack.add_user("U1", email="ada@acme.io", admin=True)
        await bot.command("setup")
        [reply] = await slack.wait_for("response")
    assert reply["text"] == messages.SETUP_SINGLE_WORKSPACE
    assert slack.of("views.open") == []


# ---- the connection itself: resolve, check, connect to the checked address ----------------


class Recorder(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def connect_tcp(self, host: str, port: int, **kw: Any) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        return httpcore.AsyncNetworkStream()

    async def connect_unix_socket(self, path: str, **kw: Any) -> httpcore.AsyncNetworkStream:
        raise AssertionError("never")

    async def sleep(self, seconds: float) -> None:
        return None


async def test_connections_go_to_the_address_that_was_checked() -> None:
    answers = iter([["35.186.247.156"], ["169.254.169.254"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)  # public for the first lookup, the metadata service next

    inner = Recorder()
    backend = GuardedBackend(EgressPolicy(resolver=rebinding), inner)
    await backend.connect_tcp("sentry.rebind.example", 443)
    assert inner.hosts == ["35.186.247.156"]  # the checked address, not the name again
    with pytest.raises(EgressRefused):
        await backend.connect_tcp("sentry.rebind.example", 443)
    assert inner.hosts == ["35.186.247.156"]
    with pytest.raises(EgressRefused):
        await backend.connect_unix_socket("/var/run/docker.sock")


async def test_workspace_clients_only_speak_https(deps: Deps, sentry: respx.MockRouter) -> None:
    from bot.workspaces.sentry_config import WorkspaceSentry

    cfg = WorkspaceSentry(url="http://sentry.io", org="globex", token=SecretStr(TOKEN))
    client = deps.workspaces.new_client(cfg, max_retries=0)
    try:
        transport = client._http._transport
        with pytest.raises(httpx.ConnectError, match="https"):
            await transport.handle_async_request(httpx.Request("GET", "http://sentry.io/api/0/"))
    finally:
        await client.aclose()


async def test_switching_sentry_forgets_the_workspaces_identity_links(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    from bot.sentry.models import Member

    await connect(deps, "T1", "https://de.sentry.io", "globex", OLD_TOKEN)
    async with deps.tenancy.workspace("T1"):
        await deps.identity.save(
            "T1", "U2", Member(id="5", email="b@x.io"), method="admin", by="U1"
        )
        assert await deps.identity.get("T1", "U2") is not None
    sentry.get("https://sentry.io/api/0/organizations/globex/").mock(
        return_value=Response(200, json={"slug": "globex", "name": "Globex"})
    )
    assert "Connected to *Globex*" in await submit(bot, slack, "https://sentry.io")
    # member 5 of the new Sentry is somebody else: the link is gone, not reinterpreted
    assert await deps.store.redis.get(deps.identity._key("T1", "U2")) is None


async def test_a_link_is_only_honoured_on_the_sentry_it_was_made_on(deps: Deps) -> None:
    from bot.sentry.models import Member

    await installations(deps).async_save(installation("T1", "xoxb-t1-bot-token-0001"))
    await connect(deps, "T1", "https://de.sentry.io", "globex", OLD_TOKEN)
    async with deps.tenancy.workspace("T1"):
        await deps.identity.save("T1", "U2", Member(id="5", email="b@x.io"), method="admin", by="")
    await connect(deps, "T1", INTERNAL, "globex", TOKEN)  # as another replica saw it
    async with deps.tenancy.workspace("T1"):
        assert await deps.identity.get("T1", "U2") is None
