"""A fake Sentry API served on loopback, for tests that run Dexter in other processes.

The respx fixture only reaches requests made in the test's own process; a `dexter run`
subprocess needs a real HTTP server. This one answers from the same stateful organisation the
in-process tests use (tests/sentry_org.py: issues change when Dexter PUTs to them) and keeps
the same discipline: every request is validated against Sentry's published schema
(tests/sentry_schema.py) and what Sentry's source refuses beyond it (tests/sentry_rules.py);
an invalid or unrouted request is answered 400/404 *and* kept in `problems`, which a test
asserts empty. Every mutating call is recorded in `mutations` as it arrives. `slow(...)`
holds matching requests for a while before answering (a slow Sentry, on demand).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx
from aiohttp import web
from respx.models import AllMockedAssertionError

from tests import sentry_rules, sentry_schema
from tests.sentry_org import SentryOrg
from tests.settings_factory import ALL_METHODS, SENTRY_API, SENTRY_BASE

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Headers Dexter reads from Sentry's answers (content, pagination, rate limits).
PASSED_ON = ("content-type", "link")


@dataclass
class Mutation:
    """One mutating call as it arrived: method, path below /api/0/, query, JSON body."""

    method: str
    path: str
    query: str
    body: Any


@dataclass
class Slow:
    """Hold requests matching `method` and `path` (a regex on the path) for `seconds`."""

    method: str
    path: re.Pattern[str]
    seconds: float
    times: int | None  # how many requests to hold; None: every one

    def matches(self, request: httpx.Request) -> bool:
        return request.method == self.method and bool(self.path.search(request.url.path))


@dataclass
class FakeSentryServer:
    """Sentry's API for organisation `acme` at `url` (what SENTRY_URL points at)."""

    router: respx.MockRouter = field(
        default_factory=lambda: respx.MockRouter(
            base_url=SENTRY_API, assert_all_called=False, assert_all_mocked=True
        )
    )
    requests: list[httpx.Request] = field(default_factory=list)
    mutations: list[Mutation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    held: int = 0  # requests being held right now
    url: str = ""
    _slow: list[Slow] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        # as the `sentry` fixture does: refuse first what Sentry's validators refuse
        self.router.route(name="sentry-source-rules", method__in=list(ALL_METHODS)).mock(
            side_effect=sentry_rules.refuse
        )
        self.org = SentryOrg(self.router).install()

    async def start(self) -> FakeSentryServer:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()

    def release(self) -> None:
        """Answer every held request now, and hold no more."""
        self._slow.clear()
        self._released.set()

    def slow(self, method: str, path: str, seconds: float, *, times: int | None = 1) -> None:
        """Answer the next `times` requests `method path` (regex) after `seconds`."""
        self._slow.append(Slow(method, re.compile(path), seconds, times))

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        """The requests received so far with this method and a path matching the regex."""
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.search(r.url.path)]

    async def wait_held(self, count: int = 1, timeout: float = 15.0) -> None:
        """Wait until `count` requests are being held."""

        async def enough() -> None:
            while self.held < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(enough(), timeout)

    def _hold_for(self, request: httpx.Request) -> float:
        for rule in self._slow:
            if rule.times != 0 and rule.matches(request):
                if rule.times is not None:
                    rule.times -= 1
                return rule.seconds
        return 0.0

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        headers = [
            (k, v)
            for k, v in request.headers.items()
            if k.lower() not in ("host", "content-length", "transfer-encoding")
        ]
        # The schema's servers and the organisation's routes are Sentry's own host: the
        # request is judged as if Dexter had sent it there.
        req = httpx.Request(
            request.method, SENTRY_BASE + request.path_qs, headers=headers, content=raw
        )
        self.requests.append(req)
        self._changed.set()
        try:
            sentry_schema.validate(req)
        except AssertionError as exc:
            self.problems.append(str(exc))
            return web.json_response({"detail": "not valid for Sentry's API"}, status=400)
        if req.method in MUTATING:
            body = req.content
            self.mutations.append(
                Mutation(
                    req.method,
                    req.url.path.removeprefix("/api/0/"),
                    req.url.query.decode(),
                    json.loads(body) if body else None,
                )
            )
        delay = self._hold_for(req)
        if delay:
            self.held += 1
            self._changed.set()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), delay)
            finally:
                self.held -= 1
        try:
            resp = await self.router.async_handler(req)
        except AllMockedAssertionError:
            self.problems.append(f"no route answers {req.method} {req.url}")
            return web.json_response({"detail": "no route"}, status=404)
        out = {k: v for k, v in resp.headers.items() if k.lower() in PASSED_ON}
        return web.Response(status=resp.status_code, body=await resp.aread(), headers=out)
