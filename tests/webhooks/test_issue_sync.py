"""`issue` deliveries keep every card true: through the pipeline, re-read from Sentry, coalesced."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.store import Store
from bot.deps import Deps
from bot.webhooks.coalesce import Coalescer
from handlers.webhooks import issue_sync
from tests import webhook_payloads as hooks
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg
from tests.webhooks.conftest import Send

WINDOW = 0.3


async def post_card(bot: SlackDriver, slack: FakeSlack, channel: str) -> dict[str, Any]:
    """`/dexter issue 1` in a channel → the card posted (channel, ts)."""
    before = len(slack.of("chat.postMessage"))
    await bot.command("issue 1", channel=channel)
    await slack.wait_for("chat.postMessage", before + 1)
    await bot.idle()
    return {"channel": channel, "ts": f"1700000000.{before + 1:06d}"}


def fields_text(blocks: list[dict[str, Any]]) -> str:
    fields = next(b for b in blocks if b.get("block_id") == "issue_fields")["fields"]
    return "\n".join(f["text"] for f in fields)


@pytest.fixture
def fast(deps: Deps, bot: SlackDriver) -> None:
    """The issue handler with a short coalescing window (the table is open to replacement)."""
    assert deps.webhooks is not None
    deps.webhooks.register("issue", issue_sync(deps, Coalescer(deps.store, window=WINDOW)))


@pytest.mark.parametrize("action", ["resolved", "assigned", "archived", "ignored", "unresolved"])
async def test_a_change_in_sentry_refreshes_every_card(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    deliver: Send,
    fast: None,
    action: str,
) -> None:
    cards = [await post_card(bot, slack, "C1"), await post_card(bot, slack, "C2")]
    status = {"assigned": "unresolved", "unresolved": "unresolved"}.get(action, action)
    status = "ignored" if action == "archived" else status
    org.issues["1"]["status"] = status
    # the payload is a hint: it says "unresolved", Sentry now says otherwise
    reply = await deliver(hooks.issue(action, 1, status="unresolved"), "issue")
    assert reply.status == 200
    await bot.idle()
    updates = slack.of("chat.update")
    assert {(u.args["channel"], u.args["ts"]) for u in updates} == {
        (c["channel"], c["ts"]) for c in cards
    }
    for update in updates:
        assert f"*Status*\n{status}" in fields_text(update.args["blocks"])


async def test_fifty_deliveries_in_a_burst_cost_a_few_updates(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send, fast: None
) -> None:
    cards = [await post_card(bot, slack, "C1"), await post_card(bot, slack, "C2")]
    org.issues["1"]["status"] = "resolved"
    gets_before = len([c for c in org.router.calls if c.request.url.path.endswith("/issues/1/")])
    replies = await asyncio.gather(
        *(deliver(hooks.issue("resolved", 1), "issue") for _ in range(50))
    )
    assert {r.status for r in replies} == {200}
    await bot.idle(30)
    updates = slack.of("chat.update")
    rounds = len(updates) // len(cards)
    assert len(updates) % len(cards) == 0
    assert 1 <= rounds <= 3, f"{len(updates)} updates for 50 deliveries"
    assert all("*Status*\nresolved" in fields_text(u.args["blocks"]) for u in updates)
    gets = [c for c in org.router.calls if c.request.url.path.endswith("/issues/1/")]
    assert len(gets) - gets_before == rounds  # the issue is read once per round, not per delivery


async def test_a_change_after_the_burst_is_not_lost(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send, fast: None
) -> None:
    await post_card(bot, slack, "C1")
    org.issues["1"]["status"] = "resolved"
    await asyncio.gather(*(deliver(hooks.issue("resolved", 1), "issue") for _ in range(10)))
    await bot.idle(30)
    org.issues["1"]["status"] = "unresolved"
    await deliver(hooks.issue("unresolved", 1), "issue")
    await bot.idle(30)
    last = slack.of("chat.update")[-1]
    assert "*Status*\nunresolved" in fields_text(last.args["blocks"])


async def test_an_issue_without_cards_touches_nothing(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send, fast: None
) -> None:
    await deliver(hooks.issue("resolved", 1), "issue")
    await bot.idle()
    assert slack.of("chat.update") == []
    assert not any(c.request.url.path.endswith("/issues/1/") for c in org.router.calls)


async def test_the_coalescer_runs_once_per_window_and_catches_late_changes(store: Store) -> None:
    coalescer = Coalescer(store, window=0.2)
    runs: list[int] = []
    gate, inside = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        runs.append(len(runs))
        inside.set()
        await gate.wait()

    first = asyncio.create_task(coalescer.run("k", work))
    await asyncio.wait_for(inside.wait(), 5)  # the first run holds the lease, inside `work`
    others = await asyncio.gather(*(coalescer.run("k", work) for _ in range(20)))
    assert others == [0] * 20  # they only marked the key dirty
    gate.set()
    assert await first == 2  # once at once, once more for everything that came meanwhile
    assert await coalescer.run("k", work) == 1  # later: at once again
