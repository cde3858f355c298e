"""One workspace cannot take over, or delete, another workspace's Sentry installation.

In a multi-workspace install every workspace admin enters their own client secret, so any of
them can sign any body they like with it. An installation Dexter has tied to a workspace is
answered only for a body that workspace's secret signed; `installation` deliveries change only
an installation of the signing workspace.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable

from bot.alert_push.action import CHANNELS_URI, SETTINGS_URI
from bot.deps import Deps
from bot.webhooks.signature import sign
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.webhook_payloads import envelope, signed
from tests.webhook_payloads import installation as installation_payload
from tests.webhooks.test_routing import (  # noqa: F401  (fixtures)
    GLOBEX_HOOK,
    GLOBEX_UUID,
    INITECH_HOOK,
    many,
    post,
    probe,
    settings,
)

UNSEEN_UUID = "22222222-3333-4444-8555-666666666666"
_counter = itertools.count()


async def globex_delivers(driver: SlackDriver) -> int:
    """Status of a new genuine Globex `issue` delivery for Globex's installation."""
    payload = envelope("resolved", {"n": next(_counter)}, installation=GLOBEX_UUID)
    body, headers = signed(payload, "issue", secret=GLOBEX_HOOK)
    return await post(driver, body, headers)


async def owner(deps: Deps, uuid: str) -> str | None:
    raw = await deps.store.redis.hget(deps.store.key("sentry-hook", "installations"), uuid)
    return raw.decode() if isinstance(raw, bytes) else raw


async def test_another_workspace_cannot_delete_an_installation_it_does_not_own(
    many: SlackDriver,  # noqa: F811
    deps: Deps,
    text_logs: Callable[[str], io.StringIO],
) -> None:
    logs = text_logs("DEBUG")
    seen = probe(deps, "issue", "installation")
    assert await globex_delivers(many) == 200  # Globex's installation is now tied to Globex
    await many.idle()
    # Initech's admin signs, with Initech's own secret, a `deleted` naming Globex's uuid
    body, headers = signed(
        installation_payload("deleted", GLOBEX_UUID), "installation", secret=INITECH_HOOK
    )
    assert await post(many, body, headers) == 401
    await many.idle()
    assert await owner(deps, GLOBEX_UUID) == "TG"
    assert await globex_delivers(many) == 200  # Globex's own deliveries still go through
    await many.idle()
    assert [(r, d.team_id) for r, d, _ in seen] == [("issue", "TG"), ("issue", "TG")]
    out = logs.getvalue()
    assert "another workspace" in out and GLOBEX_UUID in out  # the refusal is logged …
    for secret in (GLOBEX_HOOK, INITECH_HOOK, headers["Sentry-Hook-Signature"]):
        assert secret not in out  # … without a secret or a signature


async def test_another_workspace_cannot_claim_an_installation_with_any_delivery(
    many: SlackDriver,  # noqa: F811
    deps: Deps,
) -> None:
    seen = probe(deps, "issue", "installation")
    assert await globex_delivers(many) == 200
    for payload, resource in (
        (installation_payload("created", GLOBEX_UUID), "installation"),
        (envelope("resolved", {}, installation=GLOBEX_UUID), "issue"),
    ):
        body, headers = signed(payload, resource, secret=INITECH_HOOK)
        assert await post(many, body, headers) == 401
    await many.idle()
    assert await owner(deps, GLOBEX_UUID) == "TG"
    assert await globex_delivers(many) == 200
    await many.idle()
    assert [d.team_id for _, d, _ in seen] == ["TG", "TG"]


async def test_a_deleted_for_an_installation_nobody_owns_changes_nothing(
    many: SlackDriver,  # noqa: F811
    deps: Deps,
) -> None:
    """Initech cannot get ahead of Globex: a `deleted` naming an installation Dexter has not
    seen yet neither refuses it later nor ties it to Initech."""
    body, headers = signed(
        installation_payload("deleted", UNSEEN_UUID), "installation", secret=INITECH_HOOK
    )
    assert await post(many, body, headers) == 200
    await many.idle()
    assert await owner(deps, UNSEEN_UUID) is None
    seen = probe(deps, "issue")
    body, headers = signed(
        envelope("resolved", {}, installation=UNSEEN_UUID), "issue", secret=GLOBEX_HOOK
    )
    assert await post(many, body, headers) == 200
    await many.idle()
    assert [d.team_id for _, d, _ in seen] == ["TG"]
    assert await owner(deps, UNSEEN_UUID) == "TG"


async def test_alert_rule_action_endpoints_keep_their_workspace(
    many: SlackDriver,  # noqa: F811
    deps: Deps,
    slack: FakeSlack,
) -> None:
    """The channel options request signs the empty body, so its `installationId` is not
    covered by the signature: another workspace's signature must not re-point it either."""
    slack.on(
        "users.conversations",
        {
            "ok": True,
            "channels": [{"id": "C0ALERTS1", "name": "alerts"}],
            "response_metadata": {"next_cursor": ""},
        },
    )
    assert await globex_delivers(many) == 200
    url = f"{many.bot_url}{CHANNELS_URI}?installationId={GLOBEX_UUID}&query=al"
    for secret, status in ((INITECH_HOOK, 401), (GLOBEX_HOOK, 200)):
        headers = {"Sentry-App-Signature": sign(secret, b"")}
        async with many.session.get(url, headers=headers) as resp:
            assert resp.status == status
    body = (
        b'{"fields": [{"name": "channel", "value": "C0ALERTS1"}], "installationId": "'
        + GLOBEX_UUID.encode()
        + b'"}'
    )
    headers = {"Sentry-App-Signature": sign(INITECH_HOOK, body), "Content-Type": "application/json"}
    async with many.session.post(many.bot_url + SETTINGS_URI, data=body, headers=headers) as resp:
        assert resp.status == 401
    assert await owner(deps, GLOBEX_UUID) == "TG"
    assert await globex_delivers(many) == 200
