"""A background part's jobs on the process's one timer.

The composition root (bot/services.py) runs one `AsyncIOScheduler` for every periodic part
(digests, the release watch). Built alone (tests, benchmarks) a part runs a timer of its own.
`TimerJobs` hides the difference: `take()` gives the scheduler to add jobs to (started), and
`give_back()` stops an own timer or takes only this part's jobs off the shared one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler


class TimerJobs:
    """The jobs of one part (those whose id `owns`) on a shared timer, or on its own."""

    def __init__(self, shared: AsyncIOScheduler | None, owns: Callable[[str], bool]) -> None:
        self.shared = shared
        self.owns = owns
        self.scheduler: AsyncIOScheduler | None = None  # while taken

    def take(self) -> AsyncIOScheduler:
        """The scheduler this part adds its jobs to, running."""
        if self.scheduler is None:
            self.scheduler = self.shared or AsyncIOScheduler(timezone=UTC)
        if not self.scheduler.running:
            self.scheduler.start()
        return self.scheduler

    def give_back(self) -> None:
        """Stop an own timer; take this part's jobs off a shared one (it stops with the process)."""
        scheduler = self.scheduler
        self.scheduler = None
        if scheduler is None:
            return
        if self.shared is None:
            scheduler.shutdown(wait=False)  # AsyncIOScheduler: done on the loop's next turn
            return
        for job in scheduler.get_jobs():
            if self.owns(job.id):
                job.remove()
