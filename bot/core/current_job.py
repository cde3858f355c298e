"""The job the current task works for (None outside jobs: nothing changes there).

Set by the worker around one run; read where effects happen (Sentry mutations, Slack posts,
once-only markers) so that a redelivered job recognises what its earlier attempt did.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any, Protocol


class Recorder(Protocol):
    """Where a run's effects are recorded (bot/core/ledger.py)."""

    async def get(self, job_id: str, effect: str) -> tuple[bool, Any]: ...

    async def put(self, job_id: str, effect: str, result: Any) -> None: ...


@dataclass
class Run:
    """One attempt at a job: its id and how many effects of each kind it has reached."""

    job_id: str
    recorder: Recorder
    attempt: int = 1
    skipped: int = 0  # effects an earlier attempt had already made
    _seen: dict[str, int] = field(default_factory=dict)

    def effect_key(self, signature: str) -> str:
        """`signature#n` for the n-th effect with this signature in this run.

        Numbered per signature (not one counter for the run): effects a job starts
        concurrently may complete in another order on the next attempt, but the n-th post to
        one channel or the n-th PUT of one issue is the same effect in every attempt.
        """
        n = self._seen.get(signature, 0) + 1
        self._seen[signature] = n
        return f"{signature}#{n}"


current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "current_run", default=None
)


def current_job_id() -> str | None:
    """The id of the job this task works for, or None."""
    run = current_run.get()
    return run.job_id if run is not None else None
