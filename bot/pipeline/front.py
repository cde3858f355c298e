"""The front door: a Bolt middleware that acks a verified request and enqueues it as a job.

It runs after Bolt checked the signature and the workspace's installation, and after the
replay/retry guard (bot/observe.py), so only genuine, first deliveries become jobs. No
listener runs here, so the web role neither calls Sentry nor renders. What must answer in
the HTTP response stays inline, running its listener as before:

- options loads (`block_suggestion`): the options are the response body;
- view submissions registered with `inline_view`: they answer with a computed
  `response_action` (a preview, a status view) within their own budget.

A view submission registered with `check_view` is checked here (a pure function of the
submitted values, no I/O): problems are answered as `response_action: errors`, and a valid
submission is acked and enqueued; the worker's listener then runs the same check again and
goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import messages
from bot.errors import StateUnavailable
from bot.pipeline.envelope import from_slack
from bot.pipeline.slack_jobs import is_job

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.pipeline.service import Pipeline

log = logging.getLogger(__name__)

ViewCheck = Callable[[dict[str, Any]], dict[str, str] | None]
INLINE_KINDS = frozenset({"options"})


@dataclass
class FrontRules:
    """What the front door answers itself; filled where the listeners are registered."""

    inline_views: set[str] = field(default_factory=set)
    view_checks: dict[str, ViewCheck] = field(default_factory=dict)


def rules_of(deps: Deps) -> FrontRules:
    """This app's rules (one per Deps, like the listeners)."""
    rules = deps.extras.get("front_rules")
    if not isinstance(rules, FrontRules):
        rules = deps.extras["front_rules"] = FrontRules()
    return rules


def inline_view(deps: Deps, callback_id: str) -> None:
    """Run this view submission's listener in the web role: it answers with a computed
    `response_action` within its budget."""
    rules_of(deps).inline_views.add(callback_id)


def check_view(deps: Deps, callback_id: str, check: ViewCheck) -> None:
    """Answer this view submission's field problems at the door (`check(view)` returns
    the `errors` mapping, or None when valid); valid ones become jobs."""
    rules_of(deps).view_checks[callback_id] = check


class FrontDoor(AsyncMiddleware):
    """Ack and enqueue, or let an inline request through to its listener."""

    def __init__(self, app: AsyncApp, pipeline: Pipeline, rules: FrontRules) -> None:
        self.app = app
        self.pipeline = pipeline
        self.rules = rules

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        if is_job(req):
            return await next()  # a worker running a job: on to the listeners
        kind = str(req.context.get("dexter_kind") or "other")
        name = str(req.context.get("dexter_name") or "-")
        view = req.body.get("view") if isinstance(req.body.get("view"), dict) else {}
        callback = str((view or {}).get("callback_id") or "")
        if kind in INLINE_KINDS or (kind == "view" and callback in self.rules.inline_views):
            return await next()
        if not await self._has_listener(req, resp):
            return await next()  # Bolt answers as it always did (404)
        check = self.rules.view_checks.get(callback) if kind == "view" else None
        if check is not None:
            problems = check(view or {})
            if problems:
                return BoltResponse(
                    status=200, body={"response_action": "errors", "errors": problems}
                )
        ctx = req.context
        job = from_slack(
            kind,
            name,
            req.body,
            req.headers,
            team_id=ctx.team_id,
            enterprise_id=ctx.enterprise_id,
            user_id=ctx.user_id,
            channel_id=ctx.channel_id,
        )
        try:
            depth = await self.pipeline.enqueue(job)
        except (RedisError, OSError, StateUnavailable) as exc:
            return await self._unqueued(kind, exc, next)
        if kind == "command" and await self.pipeline.backpressure.too_deep(depth - 1):
            text = messages.BUSY_QUEUED.format(ahead=depth - 1)
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
        return BoltResponse(status=200, body="")

    async def _has_listener(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        for listener in self.app._async_listeners:
            if await listener.async_matches(req=req, resp=resp):
                return True
        return False

    async def _unqueued(
        self, kind: str, exc: BaseException, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Redis is unreachable. In one process (role `all`) the work runs here, as before
        the queue existed; a web-only process cannot run it and says so: a command with a
        message, everything else with 503 (Slack retries events; a button shows an error)."""
        if self.pipeline.works_here:
            log.warning("queue unavailable (%s); running this %s here", type(exc).__name__, kind)
            return await next()
        log.error("queue unavailable (%s); refusing a %s", type(exc).__name__, kind)
        if kind == "command":
            body = {"response_type": "ephemeral", "text": messages.QUEUE_UNAVAILABLE}
            return BoltResponse(status=200, body=body)
        return BoltResponse(status=503, body="")
