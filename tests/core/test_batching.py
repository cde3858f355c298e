"""TickBatcher: one `run` per loop tick, answers in order, failures reach every caller."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.batching import TickBatcher


class Doubler:
    def __init__(self, fail_first: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail_first = fail_first

    async def run(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        await asyncio.sleep(0)  # a round trip
        if self.fail_first and len(self.batches) == 1:
            raise ConnectionError("redis went away")
        return [i * 2 for i in items]


async def test_submissions_in_one_tick_share_one_run_and_get_their_own_answers() -> None:
    doubler = Doubler()
    batcher = TickBatcher(doubler.run, max_batch=100)
    answers = await asyncio.gather(*(batcher.submit(i) for i in range(5)))
    assert answers == [0, 2, 4, 6, 8]
    assert doubler.batches == [[0, 1, 2, 3, 4]]


async def test_a_burst_is_cut_at_max_batch() -> None:
    doubler = Doubler()
    batcher = TickBatcher(doubler.run, max_batch=2)
    answers = await asyncio.gather(*(batcher.submit(i) for i in range(5)))
    assert answers == [0, 2, 4, 6, 8]
    assert doubler.batches == [[0, 1], [2, 3], [4]]


async def test_a_failed_run_fails_its_callers_and_the_batcher_goes_on() -> None:
    doubler = Doubler(fail_first=True)
    batcher = TickBatcher(doubler.run, max_batch=100)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await batcher.submit(7) == 14  # not stuck "flushing" after the failure
    assert doubler.batches == [[0, 1, 2], [7]]


async def test_a_later_tick_gets_a_new_run() -> None:
    doubler = Doubler()
    batcher = TickBatcher(doubler.run, max_batch=100)
    assert await batcher.submit(1) == 2
    assert await batcher.submit(2) == 4
    assert doubler.batches == [[1], [2]]


@pytest.mark.parametrize("size", [1, 3])
async def test_answers_follow_submission_order_within_a_batch(size: int) -> None:
    batcher = TickBatcher(_upper, max_batch=size)
    assert await asyncio.gather(batcher.submit("a"), batcher.submit("b")) == ["A", "B"]


async def _upper(items: list[str]) -> list[str]:
    return [i.upper() for i in items]
