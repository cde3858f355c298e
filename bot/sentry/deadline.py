"""One deadline per user operation, carried in a contextvar that the Sentry client honours.

A hung Sentry used to leave a user in silence for four read timeouts. Now each Slack request
(a command, a click) starts an `Operation`: every Sentry request made for it — retries and
rate-limit waits included — ends by the operation's deadline, and a read still waiting after
`slow_after` seconds posts one "Sentry is slow, still trying…" note through the reply path
the operation was given. Work outside a request (scheduled jobs) has no operation and keeps
the client's own timeouts. Long runs with progress of their own (bulk changes, exports) give
each step a fresh budget with `renewed()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Note = Callable[[], Awaitable[object]]


@dataclass
class _SlowNote:
    """The interim note of one operation: posted at most once, whatever renews the budget."""

    send: Note | None
    posted: bool = False
    tasks: set[asyncio.Task[object]] = field(default_factory=set)

    def fire(self) -> None:
        if self.posted or self.send is None:
            return
        self.posted = True
        task = asyncio.ensure_future(self.send())
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[object]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("could not post the slow-Sentry note: %s", type(task.exception()).__name__)


@dataclass
class Operation:
    """A user operation's budget for Sentry: a deadline and when to say Sentry is slow."""

    budget: float
    slow_after: float
    deadline: float  # event-loop time
    slow_at: float  # event-loop time
    note: _SlowNote

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.deadline - asyncio.get_running_loop().time()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Around one Sentry read: note slowness once if it is still waiting at `slow_at`
        (a read that starts later must itself wait a third of `slow_after` first)."""
        if self.note.send is None or self.note.posted:
            yield
            return
        loop = asyncio.get_running_loop()
        delay = max(self.slow_at - loop.time(), self.slow_after / 3)
        handle = loop.call_later(delay, self.note.fire)
        try:
            yield
        finally:
            handle.cancel()


_current: contextvars.ContextVar[Operation | None] = contextvars.ContextVar(
    "sentry_operation", default=None
)


def current() -> Operation | None:
    """The operation the running code works for, if any."""
    return _current.get()


def begin(budget: float, *, slow_after: float, on_slow: Note | None = None) -> Operation:
    """Start an operation in the current context (a Slack request's); returns it."""
    now = asyncio.get_running_loop().time()
    op = Operation(
        budget=budget,
        slow_after=slow_after,
        deadline=now + budget,
        slow_at=now + slow_after,
        note=_SlowNote(on_slow),
    )
    _current.set(op)
    return op


@contextlib.asynccontextmanager
async def renewed() -> AsyncIterator[None]:
    """A fresh budget for one step of a long run; the slow note is still posted only once."""
    op = _current.get()
    if op is None:
        yield
        return
    now = asyncio.get_running_loop().time()
    step = Operation(
        budget=op.budget,
        slow_after=op.slow_after,
        deadline=now + op.budget,
        slow_at=now + op.slow_after,
        note=op.note,
    )
    token = _current.set(step)
    try:
        yield
    finally:
        _current.reset(token)
