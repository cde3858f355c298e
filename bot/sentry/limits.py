"""Sentry's rate limits, kept per endpoint family as Sentry's headers state them.

Sentry limits each endpoint (and method) on its own — `rate_limits` on every endpoint class,
reported in `X-Sentry-Rate-Limit-*` on each answer — so one endpoint's limit says nothing
about another's. A family is the method plus the route template (`GET issues/{}`): each has a
concurrency gate sized by its own `-ConcurrentLimit`, and a pause after `-Remaining: 0`
until its own `-Reset`.
"""

from __future__ import annotations

import asyncio
import time

import httpx

MAX_FAMILIES = 256  # idle gates beyond this are forgotten (ids make routes, not families)


def route_template(path: str) -> str:
    """`organizations/acme/issues/123/events/latest/` → `issues/{}/events/{}`: collection
    names kept, the identifiers between them replaced (organization and project slugs too)."""
    parts = [p for p in path.strip("/").split("/") if p]
    if parts and parts[0] in ("organizations", "teams"):
        parts = parts[2:]
    elif parts and parts[0] == "projects":
        parts = parts[3:]
    return "/".join(p if i % 2 == 0 else "{}" for i, p in enumerate(parts)) or "root"


class Gate:
    """A semaphore whose size follows Sentry's `X-Sentry-Rate-Limit-ConcurrentLimit`."""

    def __init__(self, limit: int) -> None:
        self.max_limit = limit
        self.limit = limit
        self.in_flight = 0
        self.blocked_until = 0.0  # epoch seconds, from `-Reset` once `-Remaining` hit 0
        self._cond = asyncio.Condition()

    async def __aenter__(self) -> None:
        async with self._cond:
            try:
                await self._cond.wait_for(lambda: self.in_flight < self.limit)
            except asyncio.CancelledError:
                self._cond.notify(1)  # pass on a wake-up this waiter may have taken
                raise
            self.in_flight += 1

    async def __aexit__(self, *exc: object) -> None:
        async with self._cond:
            self.in_flight -= 1
            # wake one waiter: waking all of them costs O(waiters) per request under load
            self._cond.notify(1)

    async def resize(self, limit: int) -> None:
        async with self._cond:
            self.limit = max(1, min(self.max_limit, limit))
            self._cond.notify_all()


class Limits:
    """The gates of one Sentry client, one per endpoint family."""

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency
        self._gates: dict[str, Gate] = {}

    def gate(self, family: str) -> Gate:
        """The family's gate, made on first use."""
        found = self._gates.get(family)
        if found is None:
            if len(self._gates) >= MAX_FAMILIES:
                self._forget_idle()
            found = self._gates[family] = Gate(self.max_concurrency)
        return found

    def blocked_for(self, family: str) -> float:
        """Seconds until the family may be asked again (0 when it may now)."""
        found = self._gates.get(family)
        return max(0.0, found.blocked_until - time.time()) if found else 0.0

    async def track(self, family: str, headers: httpx.Headers) -> None:
        """Apply the limits one answer reports to its own family."""
        gate = self.gate(family)
        concurrent = headers.get("X-Sentry-Rate-Limit-ConcurrentLimit")
        if concurrent and concurrent.isdigit():
            await gate.resize(int(concurrent))
        remaining = headers.get("X-Sentry-Rate-Limit-Remaining")
        reset = headers.get("X-Sentry-Rate-Limit-Reset")
        if remaining == "0" and reset and is_number(reset):
            gate.blocked_until = float(reset)

    def _forget_idle(self) -> None:
        now = time.time()
        for key in [k for k, g in self._gates.items() if not g.in_flight and g.blocked_until < now]:
            del self._gates[key]


def is_number(text: str) -> bool:
    """Whether a header value parses as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True
