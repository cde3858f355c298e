"""Requests made in the same event-loop tick, sent to Redis together.

Hot paths (the replay guard before every ack, enqueueing every job) receive bursts: sending a
burst's commands as one pipeline costs one round trip instead of one each. `TickBatcher`
collects what callers submit until the loop runs its next callback, then hands the batch
(at most `max_batch` at a time) to `run`, which answers each item in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class TickBatcher(Generic[Item, Answer]):
    """`await submit(item)` returns `run`'s answer for it; `run` sees a tick's items at once.

    When `run` raises, every caller of that batch gets the exception."""

    def __init__(
        self, run: Callable[[list[Item]], Awaitable[Sequence[Answer]]], *, max_batch: int
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._flushing = False
        self._task: asyncio.Task[None] | None = None  # held: a running task is not collected

    async def submit(self, item: Item) -> Answer:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._pending.append((item, future))
        if not self._flushing:
            self._flushing = True
            loop.call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        self._task = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self.max_batch]
                self._pending = self._pending[self.max_batch :]
                try:
                    answers = await self.run([item for item, _ in batch])
                except Exception as exc:  # every waiter learns its request failed
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._flushing = False
