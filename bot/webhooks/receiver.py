"""The front door for Sentry webhooks: verify, record, answer 200; the work is a job.

Sentry gives a webhook about a second and does not retry, so nothing here waits for
Sentry or Slack: the signature and timestamp are checked, the `Request-ID` is marked seen
(SET NX with a TTL, so a replay within the freshness window is processed once), the
delivery is stored as a `webhook` job in the durable pipeline, and Sentry hears 200.
A missing or wrong signature, or a stale timestamp, is 401 and changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from bot.core.errors import StateUnavailable
from bot.pipeline.envelope import Job
from bot.webhooks.signature import MAX_AGE, fresh
from bot.webhooks.tenants import HookTenants, UnknownInstallation

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)

PATH = "/sentry/webhook"
SEEN_TTL = int(MAX_AGE * 4)  # longer than any delivery stays fresh: a replay is stale by then
MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to Sentry (never carrying anything from the request)."""

    status: int
    text: str


OK = Answer(200, "ok")
DUPLICATE = Answer(200, "already received")
UNSIGNED = Answer(401, "signature missing")
FORGED = Answer(401, "signature invalid")
STALE = Answer(401, "timestamp missing or older than five minutes")
UNKNOWN = Answer(404, "unknown installation")
MALFORMED = Answer(400, "malformed delivery")
UNAVAILABLE = Answer(503, "try again later")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = {k.lower(): v for k, v in headers.items()}
        value = lowered.get(name.lower())
    return value.strip() if isinstance(value, str) and value.strip() else None


def _installation(payload: Mapping[str, Any]) -> str | None:
    inst = payload.get("installation")
    uuid = inst.get("uuid") if isinstance(inst, Mapping) else None
    return str(uuid)[:100] if isinstance(uuid, str | int) and str(uuid) else None


class WebhookReceiver:
    """Verifies deliveries and enqueues them; `receive` is what the HTTP route calls."""

    def __init__(self, deps: Deps, *, clock: Callable[[], float] = time.time) -> None:
        self.deps = deps
        self.clock = clock
        self.tenants = HookTenants(deps.settings, deps.store, deps.workspaces)

    def _seen_key(self, team_id: str, request_id: str) -> str:
        return self.deps.store.key("sentry-hook", "seen", team_id or "-", request_id)

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Verify one delivery and store it as a job; the answer for Sentry."""
        started = time.perf_counter()
        answer, resource = await self._receive(body, headers)
        self.deps.metrics.webhook(resource or "-", answer.status, time.perf_counter() - started)
        return answer

    async def _receive(self, body: bytes, headers: Mapping[str, str]) -> tuple[Answer, str | None]:
        resource = _header(headers, "Sentry-Hook-Resource")
        signature = _header(headers, "Sentry-Hook-Signature")
        if signature is None:
            log.info("sentry webhook refused: no signature")
            return UNSIGNED, None
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            log.info("sentry webhook refused: the body is not a JSON object")
            return MALFORMED, None
        installation = _installation(payload)
        try:
            team_id = await self.tenants.resolve(body, signature, installation)
        except UnknownInstallation:
            log.warning("sentry webhook for an unknown installation %s", installation or "-")
            return UNKNOWN, None
        except (RedisError, OSError, StateUnavailable) as exc:
            log.warning("sentry webhook not verified, Redis unavailable: %s", type(exc).__name__)
            return UNAVAILABLE, None
        if team_id is None:
            log.warning("sentry webhook refused: bad signature (installation %s)", installation)
            return FORGED, None
        if not fresh(_header(headers, "Sentry-Hook-Timestamp"), self.clock()):
            log.warning("sentry webhook refused: stale timestamp (installation %s)", installation)
            return STALE, None
        request_id = _header(headers, "Request-ID")
        if resource is None or request_id is None or len(request_id) > 100:
            return MALFORMED, None
        resource = resource[:40]
        seen = self._seen_key(team_id, request_id)
        try:
            first = await self.deps.store.redis.set(seen, "1", nx=True, ex=SEEN_TTL)
        except (RedisError, OSError):
            return UNAVAILABLE, resource
        if not first:
            log.info("sentry webhook %s received again: ignored", request_id)
            return DUPLICATE, resource
        action = payload.get("action")
        job = Job(
            kind="webhook",
            name=resource,
            team_id=team_id,
            body={
                "request_id": request_id,
                "resource": resource,
                "action": action if isinstance(action, str) else "",
                "data": payload.get("data") if isinstance(payload.get("data"), dict) else {},
                "actor": payload.get("actor") if isinstance(payload.get("actor"), dict) else {},
                "installation": installation,
                "received_at": self.clock(),
            },
        )
        pipeline = self.deps.pipeline
        try:
            if pipeline is None:
                raise RuntimeError("no pipeline")
            await pipeline.enqueue(job)
        except Exception as exc:  # not stored: let a later delivery through again
            log.warning("sentry webhook %s not queued: %s", request_id, type(exc).__name__)
            with contextlib.suppress(RedisError, OSError):
                await self.deps.store.redis.delete(seen)
            return UNAVAILABLE, resource
        log.info("sentry webhook %s %s.%s queued as job %s", request_id, resource, action, job.id)
        return OK, resource


def add_route(web_app: Any, receiver: WebhookReceiver) -> None:
    """`POST /sentry/webhook` on an aiohttp application."""
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="too large")
        body = await request.read()
        answer = await receiver.receive(body, dict(request.headers))
        return web.Response(status=answer.status, text=answer.text)

    web_app.router.add_post(PATH, webhook)
