"""The front door for Sentry webhooks: verify, record, answer 200; the work is a job.

Sentry gives a webhook about a second and does not retry, so nothing here waits for
Sentry or Slack: the signature and timestamp are checked, the body is marked seen, the
delivery is stored as a `webhook` job in the durable pipeline, and Sentry hears 200.
A missing or wrong signature, or a stale timestamp, is 401 and changes nothing.

Sentry's signature covers the raw body only. `Request-ID`, `Sentry-Hook-Timestamp` and
`Sentry-Hook-Resource` are unsigned: whoever holds a copy of a delivery can resend its body
with a new id and a fresh timestamp. So the timestamp check stops only an unaltered old copy;
what makes a delivery count once is the marker on the SHA-256 of the body (SET NX, BODY_SEEN_TTL),
and the resource header must agree with what the body names (`_named_resource`).

An `issue` change that only refreshes cards (resolved, assigned, ...) is the exception: it is
counted once per `Request-ID`, not per body. Its job re-reads the issue from Sentry, so a replay
changes nothing, while a genuine change can repeat a body byte for byte (resolved, unresolved,
resolved again by the same person) and must still refresh the cards.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from bot.core.errors import StateUnavailable
from bot.core.metrics import Metrics
from bot.core.store import Store
from bot.pipeline.envelope import Job
from bot.webhooks.issue_sync import REFRESHING
from bot.webhooks.signature import fresh
from bot.webhooks.tenants import HookTenants, UnknownInstallation

if TYPE_CHECKING:
    from bot.pipeline.service import Pipeline

log = logging.getLogger(__name__)

PATH = "/sentry/webhook"
# The timestamp is unsigned, so freshness bounds nothing for a replay: this marker is the only
# thing that stops one, and a body replayed after it expires is processed again. Two days, well
# over a day: a copy captured today stays refused through tomorrow, far beyond any resend of
# Sentry's own (its send tasks are declared Retry(times=3, delay=5 min), each send with a new
# Request-ID and timestamp: src/sentry/sentry_apps/tasks/sentry_apps.py), and as long as the
# alert handlers' per-Request-ID markers; Redis holds one short key per delivery for it.
BODY_SEEN_TTL = 2 * 24 * 3600
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


# What `data` holds for each resource Sentry sends (src/sentry/sentry_apps/tasks/sentry_apps.py:
# `data[name]` for issue and error, build_comment_webhook, send_alert_webhook_v2 `event`;
# src/sentry/rules/actions/notify_event_service.py `metric_alert`;
# src/sentry/sentry_apps/installations.py `installation`). Each genuine body carries exactly one.
_RESOURCE_KEYS = {
    "installation": "installation",
    "issue": "issue",
    "error": "error",
    "comment": "comment_id",
    "event_alert": "event",
    "metric_alert": "metric_alert",
}


def _named_resource(data: object) -> str | None:
    """The resource a body's `data` says it is, None when it names none (or several)."""
    if not isinstance(data, Mapping):
        return None
    named = [r for r, key in _RESOURCE_KEYS.items() if key in data]
    return named[0] if len(named) == 1 else None


def _installation(payload: Mapping[str, Any]) -> str | None:
    inst = payload.get("installation")
    uuid = inst.get("uuid") if isinstance(inst, Mapping) else None
    return str(uuid)[:100] if isinstance(uuid, str | int) and str(uuid) else None


class WebhookReceiver:
    """Verifies deliveries and enqueues them; `receive` is what the HTTP route calls."""

    def __init__(
        self,
        tenants: HookTenants,
        store: Store,
        metrics: Metrics,
        pipeline: Pipeline | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tenants = tenants
        self.store = store
        self.metrics = metrics
        self.pipeline = pipeline  # None: nothing can be queued, every delivery hears 503
        self.clock = clock

    def _seen_key(self, team_id: str, what: str, material: bytes) -> str:
        digest = hashlib.sha256(material).hexdigest()
        return self.store.key("sentry-hook", what, team_id or "-", digest)

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Verify one delivery and store it as a job; the answer for Sentry."""
        started = time.perf_counter()
        answer, resource = await self._receive(body, headers)
        self.metrics.webhook(resource or "-", answer.status, time.perf_counter() - started)
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
        action = payload.get("action")
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        # a deletion never ties an installation Dexter has not seen to the workspace signing it
        learn = not (_named_resource(data) == "installation" and action == "deleted")
        try:
            team_id = await self.tenants.resolve(body, signature, installation, learn=learn)
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
        named = _named_resource(data)
        if named is not None and named != resource:
            log.warning(
                "sentry webhook %s refused: its body is a %s, its resource header says otherwise",
                request_id,
                named,
            )
            return MALFORMED, None
        if resource == "issue" and action in REFRESHING:  # harmless to replay: see the top
            seen = self._seen_key(team_id, "request", request_id.encode())
        else:
            seen = self._seen_key(team_id, "body", body)
        try:
            first = await self.store.redis.set(seen, request_id, nx=True, ex=BODY_SEEN_TTL)
        except (RedisError, OSError):
            return UNAVAILABLE, resource
        if not first:
            log.info("sentry webhook %s: this body was received before, ignored", request_id)
            return DUPLICATE, resource
        job = Job(
            kind="webhook",
            name=resource,
            team_id=team_id,
            body={
                "request_id": request_id,
                "resource": resource,
                "action": action if isinstance(action, str) else "",
                "data": data,
                "actor": payload.get("actor") if isinstance(payload.get("actor"), dict) else {},
                "installation": installation,
                "received_at": self.clock(),
            },
        )
        pipeline = self.pipeline
        try:
            if pipeline is None:
                raise RuntimeError("no pipeline")
            await pipeline.enqueue(job)
        except Exception as exc:  # not stored: let a later delivery through again
            log.warning("sentry webhook %s not queued: %s", request_id, type(exc).__name__)
            with contextlib.suppress(RedisError, OSError):
                await self.store.redis.delete(seen)
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
