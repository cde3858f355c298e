"""Transport to Sentry's REST API: auth, pagination, rate limits, retries, error mapping.

Rate limits are kept per endpoint family (bot/sentry/limits.py); identical GETs already in
flight are sent once and shared; each request honours the deadline of the user operation it
works for (bot/sentry/deadline.py). Reading the answers (decoding, cursors, error mapping)
lives in bot/sentry/responses.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx

from bot.core import errors
from bot.core.ledger import once
from bot.core.logs import correlation_id, register_secret
from bot.core.settings import Settings
from bot.sentry import deadline
from bot.sentry.limits import Limits, route_template
from bot.sentry.responses import (
    SentryResponse,
    decode,
    fresh_copy,
    map_client_error,
    parse_next_cursor,
    rate_limit_delay,
    recordable,
    recorded,
)

log = logging.getLogger(__name__)

# Re-exported: callers and tests import the answer type and cursor parsing from here.
__all__ = [
    "SentryClient",
    "SentryResponse",
    "build_sentry",
    "endpoint_family",
    "parse_next_cursor",
    "workspace_client",
]

# The client of the workspace the current request or job is for (None: the default client).
workspace_client: contextvars.ContextVar[SentryClient | None] = contextvars.ContextVar(
    "workspace_client", default=None
)

_Key = tuple[str, tuple[tuple[str, str], ...]]  # a GET's path and params
Params = Mapping[str, str | int | Sequence[str | int] | None]
ResponseHook = Callable[[str, str, int, float], None]

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-f]{32})$")


def endpoint_family(path: str) -> str:
    """A low-cardinality name for an API path, e.g. `issues`, `issues/{id}`, `releases`."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) >= 2 and parts[0] in ("organizations", "projects", "teams"):
        parts = parts[2:] if parts[0] != "projects" else parts[3:]
    out = ["{id}" if _ID_SEGMENT.match(p) else p for p in parts[:3]]
    return "/".join(out) or "root"


class SentryClient:
    """One pooled HTTP client per process for `/api/0/` of one Sentry organisation."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        org: str,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_concurrency: int = 16,
        max_rate_wait: float = 30.0,
        backoff_base: float = 0.25,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        on_response: ResponseHook | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._org = org
        self.max_retries = max_retries
        self.max_rate_wait = max_rate_wait
        self.backoff_base = backoff_base
        self.on_response = on_response
        self.rate_limit_waits = 0
        self.timeout = timeout
        self._sleep = sleep
        self.limits = Limits(max_concurrency)
        # GETs in flight, by (path, params): one request serves every identical caller. The
        # map belongs to this client, so to its token too (each workspace has its own client).
        self._inflight: dict[_Key, asyncio.Task[Any]] = {}
        self._http = httpx.AsyncClient(
            base_url=f"{self._base_url}/api/0/",
            headers={"Authorization": f"Bearer {token}", "User-Agent": "dexter-slack-bot"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            limits=httpx.Limits(max_connections=max_concurrency * 2, max_keepalive_connections=20),
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        """The Sentry URL of the workspace this work is for."""
        return self._routed()._base_url

    @property
    def org(self) -> str:
        """The organisation slug of the workspace this work is for."""
        return self._routed()._org

    def _routed(self) -> SentryClient:
        # Multi-workspace: a workspace with its own Sentry settings gets its own client for
        # the duration of its request or job (bot/slack/tenancy.py); everyone else gets this one.
        other = workspace_client.get()
        return other if other is not None and other is not self else self

    def __repr__(self) -> str:
        return f"SentryClient(base_url={self.base_url!r}, org={self.org!r})"

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    def org_path(self, *parts: str | int) -> str:
        """`organizations/{org}/a/b/` with each part URL-escaped."""
        return "/".join(["organizations", self.org, *(_quote(p) for p in parts)]) + "/"

    def url_for(self, path: str) -> str:
        """The absolute API URL of a path (for messages and links, never with the token)."""
        return f"{self.base_url}/api/0/{path.lstrip('/')}"

    async def get(self, path: str, *, params: Params | None = None) -> SentryResponse:
        """GET a path under /api/0/."""
        return await self.request("GET", path, params=params)

    async def put(
        self, path: str, *, json: Any = None, params: Params | None = None
    ) -> SentryResponse:
        """PUT a JSON body."""
        return await self.request("PUT", path, json=json, params=params)

    async def post(self, path: str, *, json: Any = None) -> SentryResponse:
        """POST a JSON body (retried only when Sentry surely did not process it)."""
        return await self.request("POST", path, json=json)

    async def delete(self, path: str) -> SentryResponse:
        """DELETE a resource."""
        return await self.request("DELETE", path)

    async def paginate(
        self, path: str, *, params: Params | None = None, max_pages: int = 10
    ) -> AsyncIterator[SentryResponse]:
        """Yield pages following `Link: rel="next"` while `results="true"`, at most max_pages."""
        query = dict(params or {})
        for _ in range(max_pages):
            page = await self.get(path, params=query)
            yield page
            if page.next_cursor is None:
                return
            query["cursor"] = page.next_cursor

    async def request(
        self, method: str, path: str, *, params: Params | None = None, json: Any = None
    ) -> SentryResponse:
        """Send one logical request with rate-limit waits, retries and error mapping."""
        target = self._routed()
        if target is not self:
            return await target.request(method, path, params=params, json=json)
        family = endpoint_family(path)
        clean = _clean_params(params)
        op = deadline.current()
        if method != "GET":
            # Inside a job, a change an earlier attempt already made is not made again.
            return await once(
                f"sentry:{method}:{self._base_url}/{path}",
                lambda: self._within(self._send(method, path, family, clean, json), op, family),
                encode=recordable,
                decode=recorded,
            )
        key = (path, _frozen(clean))
        shared = self._inflight.get(key)
        leader = shared is None
        if shared is None:
            shared = asyncio.ensure_future(self._send(method, path, family, clean, None))
            self._inflight[key] = shared
            shared.add_done_callback(lambda task: self._landed(key, task))
        with op.reading() if op is not None else contextlib.nullcontext():
            resp: SentryResponse = await self._within(asyncio.shield(shared), op, family)
        # Callers may change what they get: everyone but the first gets a copy, decoded again
        # from the raw answer (about 4x cheaper than a deep copy of the decoded one).
        return resp if leader else replace(resp, data=fresh_copy(resp))

    def _landed(self, key: _Key, task: asyncio.Task[Any]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so an answer nobody awaited any more is not logged

    async def _within(
        self, work: Awaitable[SentryResponse], op: deadline.Operation | None, family: str
    ) -> SentryResponse:
        """Await Sentry no longer than the operation's deadline."""
        if op is None:
            return await work
        try:
            async with asyncio.timeout_at(op.deadline):
                return await work
        except TimeoutError:
            log.warning("sentry %s: no answer within the operation's %.0fs", family, op.budget)
            raise errors.SentryUnavailable("Sentry is not answering", endpoint=family) from None

    async def _send(
        self, method: str, path: str, family: str, clean: dict[str, Any] | None, json: Any
    ) -> SentryResponse:
        gate_key = f"{method} {route_template(path)}"
        attempt = 0
        waited = 0.0
        while True:
            await self._wait_if_blocked(gate_key)
            started = time.monotonic()
            try:
                async with self.limits.gate(gate_key):
                    resp = await self._http.request(
                        method, path, params=clean, json=json, timeout=self._attempt_timeout()
                    )
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                self._observe(method, family, 0, started)
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt < self.max_retries and (method in IDEMPOTENT or not sent):
                    attempt += 1
                    await self._backoff(attempt, f"{type(exc).__name__}", method, family)
                    continue
                raise errors.SentryUnavailable("Sentry is not answering", endpoint=family) from None
            self._observe(method, family, resp.status_code, started)
            await self.limits.track(gate_key, resp.headers)
            if resp.status_code == 429:
                delay = rate_limit_delay(resp.headers)
                fits = _fits(delay)
                if waited + delay <= self.max_rate_wait and attempt < self.max_retries + 2 and fits:
                    attempt += 1
                    waited += delay
                    self.rate_limit_waits += 1
                    log.warning("sentry rate limited on %s, waiting %.1fs", family, delay)
                    await self._sleep(delay)
                    continue
                raise errors.SentryRateLimited(
                    "Sentry is rate limiting Dexter", status=429, endpoint=family
                )
            if resp.status_code >= 500:
                if attempt < self.max_retries and method in IDEMPOTENT:
                    attempt += 1
                    await self._backoff(attempt, f"HTTP {resp.status_code}", method, family)
                    continue
                raise errors.SentryUnavailable(
                    f"Sentry answered {resp.status_code}",
                    status=resp.status_code,
                    endpoint=family,
                )
            if resp.status_code >= 400:
                raise map_client_error(resp, family)
            return decode(resp, family)

    def _attempt_timeout(self) -> httpx.Timeout | None:
        """Within an operation, one attempt may use at most what is left of its budget."""
        op = deadline.current()
        if op is None:
            return None  # the client's own timeouts
        left = max(0.05, min(self.timeout, op.remaining()))
        return httpx.Timeout(left, connect=min(5.0, left))

    async def _backoff(self, attempt: int, why: str, method: str, family: str) -> None:
        delay = self.backoff_base * (2 ** (attempt - 1))
        delay = delay / 2 + random.uniform(0, delay / 2)
        if not _fits(delay):  # no time left in the operation for another attempt
            raise errors.SentryUnavailable("Sentry is not answering", endpoint=family)
        log.info(
            "retrying sentry %s %s after %s (attempt %d, %.2fs) [%s]",
            method,
            family,
            why,
            attempt,
            delay,
            correlation_id.get(),
        )
        await self._sleep(delay)

    async def _wait_if_blocked(self, gate_key: str) -> None:
        delay = self.limits.blocked_for(gate_key)
        if delay > 0:
            self.rate_limit_waits += 1
            await self._sleep(min(delay, self.max_rate_wait))

    def _observe(self, method: str, family: str, status: int, started: float) -> None:
        if self.on_response is not None:
            self.on_response(method, family, status, time.monotonic() - started)


def _fits(delay: float) -> bool:
    """Whether waiting `delay` seconds leaves the operation time for another attempt."""
    op = deadline.current()
    return op is None or delay < op.remaining()


def _frozen(params: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """Params as a hashable, order-independent key."""
    items: list[tuple[str, str]] = []
    for k, v in (params or {}).items():
        items += [(k, str(x)) for x in v] if isinstance(v, list) else [(k, str(v))]
    return tuple(sorted(items))


def _clean_params(params: Params | None) -> dict[str, Any] | None:
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value == "" or value == []:
            continue
        out[key] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return out


def _quote(part: str | int) -> str:
    from urllib.parse import quote

    return quote(str(part), safe="")


def build_sentry(settings: Settings, **kwargs: Any) -> SentryClient:
    """The Sentry client of the configured organisation (the app's, or `dexter check`'s)."""
    token = settings.sentry_auth_token.get_secret_value()
    register_secret(token)
    return SentryClient(
        base_url=settings.sentry_base, token=token, org=settings.sentry_org, **kwargs
    )
