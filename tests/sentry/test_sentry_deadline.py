"""One deadline per user operation: a note when Sentry is slow, an answer by the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from httpx import Response

from bot.core import errors, messages
from bot.core.settings import Settings
from bot.sentry import deadline
from bot.sentry.client import SentryClient
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.settings_factory import ORG, SENTRY_BASE, SENTRY_TOKEN, make_settings

ISSUES = "organizations/acme/issues/"
BUDGET = 0.6  # seconds: stands in for the 15 s of production
SLOW = 0.1  # stands in for the 3 s


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    """The bot with a short operation budget, so a hung Sentry costs the test < 1 s."""
    return make_settings(
        slack, DEXTER_SENTRY_DEADLINE=str(BUDGET), DEXTER_SENTRY_SLOW_NOTE=str(SLOW)
    )


async def hang(request: httpx.Request) -> Response:
    await asyncio.sleep(60)  # never answers within any budget; cancelled with the request
    raise AssertionError("unreachable")


async def test_a_hung_sentry_gets_a_note_then_a_final_answer_by_the_deadline(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(ISSUES).mock(side_effect=hang)
    started = time.monotonic()
    await bot.command("issues level:error")
    note, final = await asyncio.wait_for(slack.wait_for("response", 2), 5)
    elapsed = time.monotonic() - started
    assert note["text"] == messages.SENTRY_SLOW
    assert note["response_type"] == "ephemeral" and note["replace_original"] is False
    assert final["text"].startswith("Sentry is not answering") and "(ref `" in final["text"]
    assert elapsed < BUDGET + 1.0, elapsed  # not four read timeouts
    await asyncio.sleep(SLOW * 2)  # a real timer: the slow note must not come a second time
    assert len(slack.responses) == 2  # one note, one answer


async def test_slow_but_answering_sentry_notes_once_then_answers(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    async def slow(request: httpx.Request) -> Response:
        await asyncio.sleep(SLOW * 2.5)  # what is tested: slower than the note, inside the budget
        return Response(200, json=[f.issue(1)])

    sentry.get(ISSUES).mock(side_effect=slow)
    await bot.command("issues level:error")
    note, answer = await asyncio.wait_for(slack.wait_for("response", 2), 5)
    assert note["text"] == messages.SENTRY_SLOW
    assert "BACKEND-1" in str(answer["blocks"])


async def test_a_quick_sentry_gets_no_note(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(ISSUES).mock(return_value=Response(200, json=[f.issue(1)]))
    await bot.command("issues level:error")
    [answer] = await slack.wait_for("response")
    await asyncio.sleep(SLOW * 2)  # a real timer: the note must not fire after a quick answer
    assert len(slack.responses) == 1 and answer["blocks"]


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def client() -> AsyncIterator[SentryClient]:
    c = SentryClient(
        base_url=SENTRY_BASE, token=SENTRY_TOKEN, org=ORG, sleep=Sleeps(), backoff_base=0.01
    )
    yield c
    await c.aclose()


async def test_retries_happen_only_inside_the_budget(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    """A 503 is retried while the budget allows; a backoff that would outlast it is not."""
    route = sentry.get(ISSUES).mock(return_value=Response(503))
    deadline.begin(BUDGET, slow_after=SLOW)
    client.backoff_base = BUDGET * 4  # the first backoff cannot fit
    with pytest.raises(errors.SentryUnavailable):
        await client.get(client.org_path("issues"))
    assert route.call_count == 1
    assert client._sleep.waits == []  # type: ignore[attr-defined]

    client.backoff_base = 0.001
    deadline.begin(BUDGET, slow_after=SLOW)
    with pytest.raises(errors.SentryUnavailable):
        await client.get(client.org_path("issues"))
    assert route.call_count == 1 + 1 + client.max_retries  # retried as usual when time allows


async def test_each_attempt_gets_at_most_what_is_left(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    sentry.get(ISSUES).mock(side_effect=hang)
    op = deadline.begin(BUDGET, slow_after=SLOW)
    started = time.monotonic()
    with pytest.raises(errors.SentryUnavailable, match="not answering"):
        await client.get(client.org_path("issues"))
    assert time.monotonic() - started < BUDGET + 0.3
    assert op.remaining() <= 0.05


async def test_a_renewed_step_has_a_fresh_budget_and_no_second_note(
    sentry: respx.MockRouter,
) -> None:
    notes: list[str] = []

    async def note() -> None:
        notes.append("slow")

    first = deadline.begin(0.2, slow_after=0.05, on_slow=note)
    # real time is what is tested: each read below outlasts its step's slow_after
    await asyncio.sleep(0.15)
    async with deadline.renewed():
        step = deadline.current()
        assert step is not None and step.remaining() > 0.15
        with step.reading():
            await asyncio.sleep(0.1)
    with first.reading():
        await asyncio.sleep(0.1)
    assert notes == ["slow"]
    assert deadline.current() is first
