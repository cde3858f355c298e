"""The front door: only signed, fresh, first-time deliveries become work."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest

from bot.deps import Deps
from bot.webhooks import receiver
from bot.webhooks.signature import fresh, sign, valid_signature
from bot.webhooks.types import Delivery
from tests.harness import SlackDriver
from tests.webhook_payloads import CLIENT_SECRET, INSTALLATION, envelope, signed
from tests.webhooks.conftest import Send


@pytest.fixture
def probe(deps: Deps, bot: SlackDriver) -> list[Delivery]:
    """A handler for the made-up resource `probe`, recording what reaches it."""
    seen: list[Delivery] = []

    async def handler(delivery: Delivery) -> None:
        seen.append(delivery)

    assert deps.webhooks is not None
    deps.webhooks.register("probe", handler)
    return seen


def test_signature_is_hmac_sha256_hex_of_the_raw_body() -> None:
    body = b'{"action":"created"}'
    # computed independently: echo -n '{"action":"created"}' | openssl dgst -sha256 -hmac s
    expected = "47bfe3fa4e55c03b08edcc1f89b7201a1f99ccbc80bb8c66e2d1f0e8ede8a004"
    assert sign("s", body) == expected
    assert valid_signature("s", body, sign("s", body))
    assert valid_signature("s", body, sign("s", body).upper())  # hex digits, any case
    assert not valid_signature("s", body + b" ", sign("s", body))
    assert not valid_signature("other", body, sign("s", body))
    assert not valid_signature("s", body, None)
    assert not valid_signature("", body, sign("", body))


def test_fresh_means_within_five_minutes() -> None:
    now = 1_800_000_000.0
    assert fresh(str(int(now)), now)
    assert fresh(str(int(now - 299)), now)
    assert not fresh(str(int(now - 301)), now)
    assert not fresh(str(int(now + 3600)), now)  # far future: not a real delivery
    assert not fresh(None, now)
    assert not fresh("yesterday", now)


async def test_a_signed_delivery_is_answered_then_handled(
    bot: SlackDriver, deliver: Send, probe: list[Delivery]
) -> None:
    payload = envelope("created", {"thing": 1})
    reply = await deliver(payload, "probe", request_id="req-1")
    assert (reply.status, reply.body) == (200, "ok")
    await bot.idle()
    [delivery] = probe
    assert delivery.request_id == "req-1"
    assert (delivery.resource, delivery.action) == ("probe", "created")
    assert dict(delivery.data) == {"thing": 1}
    assert delivery.installation == INSTALLATION
    assert delivery.team_id == ""  # one workspace: the environment's
    assert time.time() - delivery.received_at < 60


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("wrong secret", 401),
        ("no signature", 401),
        ("body altered", 401),
        ("stale", 401),
        ("no timestamp", 401),
    ],
)
async def test_forged_or_stale_deliveries_change_nothing(
    bot: SlackDriver, deps: Deps, deliver: Send, probe: list[Delivery], change: str, status: int
) -> None:
    payload = envelope("created", {"thing": 1})
    _body, headers = signed(payload, "probe", request_id="req-x")
    if change == "wrong secret":
        _, headers = signed(payload, "probe", request_id="req-x", secret="not-the-secret")
    elif change == "no signature":
        headers.pop("Sentry-Hook-Signature")
    elif change == "body altered":
        _, headers = signed(envelope("created", {"thing": 2}), "probe", request_id="req-x")
    elif change == "stale":
        _, headers = signed(payload, "probe", request_id="req-x", timestamp=time.time() - 301)
    elif change == "no timestamp":
        headers.pop("Sentry-Hook-Timestamp")
    reply = await deliver(payload, "probe", headers=headers)
    assert reply.status == status
    await bot.idle()
    assert probe == []
    assert deps.pipeline is not None and await deps.pipeline.queue.depth() == 0
    # nothing was recorded either: the genuine delivery with this Request-ID still goes through
    good = await deliver(payload, "probe", request_id="req-x")
    assert good.status == 200
    await bot.idle()
    assert [d.request_id for d in probe] == ["req-x"]


async def test_the_same_request_id_is_processed_once(
    bot: SlackDriver, deliver: Send, probe: list[Delivery]
) -> None:
    payload = envelope("created", {"thing": 1})
    _body, headers = signed(payload, "probe", request_id="req-2")
    first = await deliver(payload, "probe", headers=headers)
    again = await deliver(payload, "probe", headers=headers)
    assert (first.status, again.status) == (200, 200)
    assert again.body == receiver.DUPLICATE.text
    await bot.idle()
    assert [d.request_id for d in probe] == ["req-2"]


async def test_secrets_never_reach_the_logs(
    bot: SlackDriver,
    deliver: Send,
    probe: list[Delivery],
    text_logs: Callable[[str], io.StringIO],
) -> None:
    logs = text_logs("DEBUG")
    payload = envelope("created", {"thing": 1})
    await deliver(payload, "probe", secret="forged-secret-123")
    await deliver(payload, "probe")
    await bot.idle()
    out = logs.getvalue()
    assert "bad signature" in out  # the refusal is logged …
    assert CLIENT_SECRET not in out  # … without the secret
    assert sign(CLIENT_SECRET, b"") not in out


async def test_not_json_is_refused(bot: SlackDriver, probe: list[Delivery]) -> None:
    body = b"not json"
    headers = {
        "Sentry-Hook-Resource": "probe",
        "Sentry-Hook-Signature": sign(CLIENT_SECRET, body),
        "Sentry-Hook-Timestamp": str(int(time.time())),
        "Request-ID": "req-3",
    }
    async with bot.session.post(f"{bot.bot_url}/sentry/webhook", data=body, headers=headers) as r:
        assert r.status == 400
    await bot.idle()
    assert probe == []


async def test_without_redis_sentry_hears_503_and_nothing_runs(
    bot: SlackDriver,
    deps: Deps,
    deliver: Send,
    probe: list[Delivery],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def down(*_: object, **__: object) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(deps.store.redis, "set", down)
    reply = await deliver(envelope("created", {"thing": 1}), "probe")
    assert reply.status == 503
    monkeypatch.undo()
    await bot.idle()
    assert probe == []


async def test_the_client_secrets_are_registered_with_the_redactor(deps: Deps) -> None:
    from pydantic import SecretStr

    from bot.core.crypto import SecretBox
    from bot.core.logs import redact
    from bot.workspaces.sentry_config import WorkspaceSentry

    assert CLIENT_SECRET not in redact(f"oops {CLIENT_SECRET}")  # SENTRY_CLIENT_SECRET
    # a workspace's own secret, once read back from the store
    deps.workspaces.box = SecretBox("a-test-key-of-thirty-two-chars-00")
    cfg = WorkspaceSentry(
        url="https://sentry.io",
        org="acme",
        token=SecretStr("sntrys_ws_token_1"),
        hook_secret=SecretStr("ws-hook-secret-9d8c"),
    )
    await deps.workspaces.save("T7", cfg)
    deps.workspaces._last.clear()
    read = await deps.workspaces.get("T7")
    assert read is not None and read.hook_secret is not None
    assert "ws-hook-secret-9d8c" not in redact("leaked ws-hook-secret-9d8c")
