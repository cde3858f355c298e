"""The front door: a Bolt middleware that acks a verified request and enqueues it as a job.

It runs after Bolt checked the signature and the workspace's installation, and after the
replay/retry guard (bot/pipeline/observe.py), so only genuine, first deliveries become jobs. No
listener runs here, so the web role neither calls Sentry nor renders. What must answer in
the HTTP response stays inline, running its listener as before:

- options loads (`block_suggestion`): the options are the response body;
- view submissions registered with `FrontRules.inline_view`: they answer with a computed
  `response_action` (a preview, a status view) within their own budget.

A view submission registered with `FrontRules.check_view` is checked here (a pure function
of the submitted values, no I/O): problems are answered as `response_action: errors`, and a
valid submission is acked and enqueued; the worker's listener then runs the same check again
and goes on.
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

from bot.core import messages
from bot.core.errors import StateUnavailable
from bot.pipeline.envelope import from_slack
from bot.pipeline.slack_jobs import is_job

if TYPE_CHECKING:
    from bot.pipeline.service import Pipeline

log = logging.getLogger(__name__)

ViewCheck = Callable[[dict[str, Any]], dict[str, str] | None]
INLINE_KINDS = frozenset({"options"})
ROUTES_MAX = 4096  # routes remembered (action ids, callback ids, event types, commands)


def route_key(body: dict[str, Any]) -> tuple[str, ...] | None:
    """The fields Bolt's built-in listener matchers read, or None for another shape.

    Dexter registers listeners only by command, action id (string or pattern), callback id
    and event type, so requests with the same key always match the same listeners. A key's
    first request goes through Bolt's matchers, so a payload they refuse is refused.
    """
    kind = str(body.get("type") or "")
    if "command" in body:
        return ("command", str(body.get("command")))
    if kind in ("block_actions", "interactive_message"):
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else {}
        first = first if isinstance(first, dict) else {}
        ids = (
            first.get("action_id") or first.get("name"),
            first.get("block_id"),
            first.get("type"),
        )
        return (kind, *(str(i or "") for i in ids), str(body.get("callback_id") or ""))
    if kind == "block_suggestion":
        return (kind, str(body.get("action_id") or ""), str(body.get("block_id") or ""))
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict):
            return None
        # Bolt's matchers read the view's type too: a view without one is refused (400)
        return (kind, str(view.get("callback_id") or ""), str(view.get("type")))
    if kind in ("shortcut", "message_action"):
        return (kind, str(body.get("callback_id") or ""))
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict):
            return None
        return (kind, str(event.get("type") or ""), str(event.get("subtype") or ""))
    return None


@dataclass
class FrontRules:
    """What the front door answers itself; filled where the listeners are registered (made
    fresh with each app by create_app, like the listeners)."""

    inline_views: set[str] = field(default_factory=set)
    view_checks: dict[str, ViewCheck] = field(default_factory=dict)
    # events nothing will act on (e.g. every channel message but card thread replies):
    # acknowledged at the door, never enqueued
    ignored_events: list[Callable[[dict[str, Any]], bool]] = field(default_factory=list)

    def inline_view(self, callback_id: str) -> None:
        """Run this view submission's listener in the web role: it answers with a computed
        `response_action` within its budget."""
        self.inline_views.add(callback_id)

    def ignore_events(self, ignored: Callable[[dict[str, Any]], bool]) -> None:
        """Acknowledge events for which `ignored(event)` is true without making a job."""
        self.ignored_events.append(ignored)

    def check_view(self, callback_id: str, check: ViewCheck) -> None:
        """Answer this view submission's field problems at the door (`check(view)` returns
        the `errors` mapping, or None when valid); valid ones become jobs."""
        self.view_checks[callback_id] = check


class FrontDoor(AsyncMiddleware):
    """Ack and enqueue, or let an inline request through to its listener."""

    def __init__(self, app: AsyncApp, pipeline: Pipeline, rules: FrontRules) -> None:
        self.app = app
        self.pipeline = pipeline
        self.rules = rules
        self._routes: dict[tuple[str, ...], bool] = {}
        self._listeners = 0

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
        if kind == "event" and self.rules.ignored_events:
            event = req.body.get("event")
            if isinstance(event, dict) and any(i(event) for i in self.rules.ignored_events):
                return BoltResponse(status=200, body="")
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
        """Whether a listener will take this request (Bolt's matchers are costly, so the
        answer is remembered per route: the ids those matchers look at)."""
        listeners = self.app._async_listeners
        if len(listeners) != self._listeners:  # one registered later: ask again
            self._routes.clear()
            self._listeners = len(listeners)
        key = route_key(req.body)
        known = self._routes.get(key) if key is not None else None
        if known is not None:
            return known
        found = False
        for listener in listeners:
            if await listener.async_matches(req=req, resp=resp):
                found = True
                break
        if key is not None:
            if len(self._routes) >= ROUTES_MAX:
                self._routes.clear()
            self._routes[key] = found
        return found

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
