"""A captured delivery replayed with fresh unsigned headers is not processed again.

Sentry's signature covers the body only: `Request-ID`, `Sentry-Hook-Timestamp` and
`Sentry-Hook-Resource` can be rewritten by whoever holds a copy of a delivery.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from bot.deps import Deps
from bot.webhooks import receiver
from bot.webhooks.types import Delivery
from tests import webhook_payloads as hooks
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg
from tests.webhooks.conftest import Send
from tests.webhooks.test_issue_sync import post_card
from tests.webhooks.test_signature import probe  # noqa: F401  (fixture)


def replies(slack: FakeSlack) -> list[dict[str, Any]]:
    return [c.args for c in slack.of("chat.postMessage") if c.args.get("thread_ts")]


async def test_a_replayed_body_with_new_headers_is_processed_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send
) -> None:
    await post_card(bot, slack, "C1")
    payload = hooks.comment("created", 501, text="hello")
    first = await deliver(payload, "comment", request_id="orig", timestamp=time.time() - 200)
    await bot.idle()
    assert first.status == 200
    assert len(replies(slack)) == 1
    # the same signed body again: only the unsigned headers are new
    again = await deliver(payload, "comment", request_id="attacker-1")
    await bot.idle()
    assert (again.status, again.body) == (200, receiver.DUPLICATE.text)
    assert len(replies(slack)) == 1


async def test_a_resource_header_the_body_contradicts_is_refused(
    bot: SlackDriver,
    deliver: Send,
    probe: list[Delivery],  # noqa: F811
) -> None:
    payload = hooks.comment("created", 502)  # `data` names a comment (comment_id)
    for resource in ("issue", "probe"):
        reply = await deliver(payload, resource, request_id=f"relabel-{resource}")
        assert reply.status == 400
    await bot.idle()
    assert probe == []
    # nothing was recorded for the refused copies: the genuine delivery goes through
    assert (await deliver(payload, "comment")).status == 200


async def test_the_body_marker_outlives_a_day(
    bot: SlackDriver,
    deps: Deps,
    deliver: Send,
    probe: list[Delivery],  # noqa: F811
) -> None:
    body, _ = hooks.signed(hooks.envelope("created", {"thing": 3}), "probe")
    assert (await deliver(hooks.envelope("created", {"thing": 3}), "probe")).status == 200
    key = deps.store.key("sentry-hook", "body", "-", hashlib.sha256(body).hexdigest())
    ttl = await deps.store.redis.ttl(key)
    assert 24 * 3600 < ttl <= receiver.BODY_SEEN_TTL


async def test_the_same_issue_change_twice_refreshes_twice_but_one_request_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send
) -> None:
    # resolved, unresolved, resolved again by the same person: Sentry can send the same body
    # twice; the second must still refresh the card (the job re-reads Sentry, so a replay of a
    # refresh changes nothing).
    await post_card(bot, slack, "C1")
    payload = hooks.issue("resolved", 1, status="resolved")
    first = await deliver(payload, "issue", request_id="r-1")
    second = await deliver(payload, "issue", request_id="r-2")
    same = await deliver(payload, "issue", request_id="r-2")
    await bot.idle()
    assert [first.body, second.body] == [receiver.OK.text, receiver.OK.text]
    assert same.body == receiver.DUPLICATE.text  # one Request-ID counts once
    # a new issue posts cards: its body counts once whatever its Request-ID
    created = hooks.issue("created", 1)
    assert (await deliver(created, "issue", request_id="c-1")).body == receiver.OK.text
    assert (await deliver(created, "issue", request_id="c-2")).body == receiver.DUPLICATE.text
