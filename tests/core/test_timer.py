"""TimerJobs: a part's jobs on the shared timer come off alone; an own timer stops."""

from __future__ import annotations

import asyncio
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.timer import TimerJobs


async def _noop() -> None:
    return None


async def test_on_the_shared_timer_only_this_parts_jobs_are_removed() -> None:
    shared = AsyncIOScheduler(timezone=UTC)
    digests = TimerJobs(shared, lambda id: id.startswith("digest"))
    watch = TimerJobs(shared, lambda id: id == "release-watch")
    digests.take().add_job(_noop, "interval", seconds=60, id="digest-tick")
    digests.take().add_job(_noop, "interval", seconds=60, id="digest:1")
    assert watch.take() is shared and shared.running
    shared.add_job(_noop, "interval", seconds=60, id="release-watch")
    digests.give_back()
    assert [j.id for j in shared.get_jobs()] == ["release-watch"]
    assert shared.running  # the shared timer stops with the process, not with a part
    shared.shutdown(wait=False)
    await asyncio.sleep(0)


async def test_built_alone_a_part_runs_and_stops_a_timer_of_its_own() -> None:
    alone = TimerJobs(None, lambda id: True)
    own = alone.take()
    assert own.running and alone.take() is own  # taken twice: the same timer
    alone.give_back()
    await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
    assert not own.running
    alone.give_back()  # given back twice: nothing happens
