"""The card registry and activity line on real Redis."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.deps import Deps
from bot.triage.card_store import MAX_CARDS_PER_ISSUE, Activity, CardRef, CardStore


async def test_cards_are_remembered_capped_and_forgotten(deps: Deps) -> None:
    cards = CardStore(deps.store, deps.sentry)
    for n in range(MAX_CARDS_PER_ISSUE + 5):
        await cards.add("1", CardRef(channel="C1", ts=f"1700000000.{n:06d}"))
    await cards.add("1", CardRef(channel="C9", ts="1.0", url="https://acme.sentry.io/issues/1/"))
    refs = await cards.cards("1")
    assert len(refs) == MAX_CARDS_PER_ISSUE
    assert refs[-1].is_unfurl  # the newest is kept, the oldest dropped
    assert CardRef(channel="C1", ts="1700000000.000000") not in refs
    assert await cards.issue_of("C1", "1700000000.000029") == "1"
    assert await cards.issue_of("C9", "1.0") is None  # someone else's message
    await cards.remove("1", refs[-1])
    assert len(await cards.cards("1")) == MAX_CARDS_PER_ISSUE - 1
    assert await cards.with_cards(["1", "2"]) == ["1"]
    # adding the same card again does not duplicate it
    await cards.add("2", CardRef(channel="C1", ts="5.0"))
    await cards.add("2", CardRef(channel="C1", ts="5.0"))
    assert len(await cards.cards("2")) == 1


async def test_activity_is_the_latest_change(deps: Deps) -> None:
    cards = CardStore(deps.store, deps.sentry)
    assert await cards.activity("1") is None
    first = Activity(text="Resolved", slack_user_id="U1", at=datetime.now(UTC))
    second = Activity(text="Unresolved", slack_user_id="U2", at=datetime.now(UTC))
    await cards.record(["1", "2"], first)
    await cards.record(["1"], second)
    assert await cards.activity("1") == second
    assert await cards.activity("2") == first
