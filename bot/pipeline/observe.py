"""Request-level plumbing every listener gets for free: correlation id, metrics, replay and
retry protection, and a Slack client that counts its errors.

It hooks Bolt at three points: `DexterApp.async_dispatch` (time to ack), one global
middleware (runs after Bolt verified the signature, before any listener), and the listener
completion handler (time to finish, outcome).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.listener.async_listener_completion_handler import AsyncListenerCompletionHandler
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core import messages
from bot.core.errors import StateUnavailable
from bot.core.logs import bind_correlation_id
from bot.core.metrics import Metrics, outcome
from bot.pipeline.slack_effects import api_call_once
from bot.pipeline.slack_jobs import JOB, is_job
from bot.sentry import deadline
from bot.slack.dedupe import OnceChecker
from bot.slack.outgoing import make_safe
from bot.slack.tenancy import TenantWebClient, slack_token

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from bot.core.store import Store
    from bot.slack.command_table import Dispatcher
    from bot.slack.oauth_store import RedisInstallationStore
    from bot.slack.tenancy import Tenancy

log = logging.getLogger(__name__)

EVENT_DEDUPE_TTL = 3600.0
REPLAY_TTL = 6 * 60.0  # Slack refuses timestamps older than 5 minutes; keep a margin
_DIGITS = re.compile(r"\d+")

ErrorHook = Callable[[str, str], None]


class InstrumentedWebClient(TenantWebClient):
    """The Slack Web API client, counting failed calls by method and error."""

    on_error: ErrorHook | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Call the API (posts at most once per job); failures are counted, then raised."""
        call = super().api_call
        try:
            return await api_call_once(self, api_method, kwargs, lambda: call(api_method, **kwargs))
        except SlackApiError as exc:
            if self.on_error:
                data = exc.response.data
                error = data.get("error") if isinstance(data, dict) else None
                self.on_error(api_method, str(error or exc.response.status_code))
            raise
        except (TimeoutError, OSError) as exc:
            if self.on_error:
                self.on_error(api_method, type(exc).__name__)
            raise


def classify(body: dict[str, Any], dispatcher: Dispatcher | None) -> tuple[str, str]:
    """(kind, name) of a request, with low cardinality for metric labels."""
    if "command" in body:
        text = str(body.get("text") or "").strip()
        match = dispatcher.match(text) if dispatcher else None
        return "command", match.command.name if match else ("help" if not text else "unknown")
    kind = str(body.get("type") or "other")
    name = ""
    if kind in ("block_actions", "interactive_message"):
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else {}
        first = first if isinstance(first, dict) else {}
        name = str(first.get("action_id") or first.get("name") or "")
        kind = "action"
    elif kind == "block_suggestion":
        name, kind = str(body.get("action_id") or ""), "options"
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        name = str(view.get("callback_id") or "") if isinstance(view, dict) else ""
        kind = "view" if kind == "view_submission" else "view_closed"
    elif kind in ("shortcut", "message_action"):
        name, kind = str(body.get("callback_id") or ""), "shortcut"
    elif kind == "event_callback":
        event = body.get("event")
        name = str(event.get("type") or "") if isinstance(event, dict) else ""
        kind = "event"
    return kind[:32], _DIGITS.sub("#", name)[:64] or "-"


class _Completion(AsyncListenerCompletionHandler):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        ctx = request.context
        kind, name = ctx.get("dexter_kind", "other"), ctx.get("dexter_name", "-")
        started = ctx.get("dexter_started")
        if started is not None:
            self.metrics.total_latency.labels(kind).observe(time.monotonic() - started)
        result = outcome.get() or "ok"  # report() and the app's error handler set failures
        if kind == "command":
            self.metrics.commands.labels(name, result).inc()
        else:
            self.metrics.interactions.labels(kind, name, result).inc()


class AckFirst:
    """Acks before work: after acking, a listener waits while other requests are still
    waiting for their ack, at most MAX_WAIT. Under a burst the CPU goes to answering Slack
    within its 3 s; the work has the response_url's 30 minutes. Waiters are released all at
    once when no ack is pending, else oldest first as they reach MAX_WAIT (no big bursts).
    """

    MAX_WAIT = 0.5
    TICK = 0.01

    def __init__(self) -> None:
        self.pending = 0
        self._waiters: collections.deque[tuple[float, asyncio.Future[None]]] = collections.deque()
        self._ticker: asyncio.TimerHandle | None = None

    def enter(self) -> None:
        self.pending += 1

    def leave(self) -> None:
        self.pending -= 1
        if self.pending <= 0:
            self._release(until=float("inf"))

    async def wait(self) -> None:
        """Return once no request awaits its ack, or within about MAX_WAIT."""
        if self.pending <= 0:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.append((loop.time() + self.MAX_WAIT, future))
        if self._ticker is None:
            self._ticker = loop.call_later(self.TICK, self._tick)
        await future

    def _tick(self) -> None:
        self._ticker = None
        loop = asyncio.get_running_loop()
        self._release(until=loop.time())
        if self._waiters:
            self._ticker = loop.call_later(self.TICK, self._tick)

    def _release(self, *, until: float) -> None:
        while self._waiters and self._waiters[0][0] <= until:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)


class _Ack(AsyncAck):
    """Bolt's ack; the listener resumes once pending acks have gone out."""

    def __init__(self, first: AckFirst) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.first = first

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        await self.first.wait()
        return response


class DexterApp(AsyncApp):
    """AsyncApp that times every request up to its ack (the moment Slack gets an answer)."""

    def __init__(self, *, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics
        self.ack_first = AckFirst()

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        """Dispatch as Bolt does, recording ack latency and refusals."""
        if is_job(req):  # a worker running a job: nobody waits for this ack
            job = req.context[JOB]
            waited = max(0.0, time.time() - job.enqueued_at)
            req.context["dexter_started"] = time.monotonic() - waited
            return await super().async_dispatch(req)
        started = time.monotonic()
        req.context["dexter_started"] = started
        self.ack_first.enter()
        try:
            resp = await super().async_dispatch(req)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            # Bolt itself trips over some malformed payloads (e.g. a view without a type)
            log.warning("refusing a payload Bolt cannot handle: %s", type(exc).__name__)
            self.metrics.rejected.labels("malformed").inc()
            return BoltResponse(status=400, body="malformed payload")
        finally:
            self.ack_first.leave()
        kind = req.context.get("dexter_kind")
        if kind is not None:
            self.metrics.ack_latency.labels(kind).observe(time.monotonic() - started)
        elif resp.status == 401:
            self.metrics.rejected.labels("signature").inc()
        return resp


class _Observe(AsyncMiddleware):
    """Correlation id, request labels and replay/retry refusal: what every request needs
    before the front door (bot/pipeline/front.py) acks and enqueues it.

    A class, not a function: Bolt builds every listener argument for function middleware,
    which costs more per request than all of this.
    """

    def __init__(self, store: Store, dispatcher: Dispatcher | None, metrics: Metrics) -> None:
        self.store = store
        self.dispatcher = dispatcher  # names a command's metric label
        self.metrics = metrics
        self.once = OnceChecker(store)

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        job = is_job(req)
        # a job keeps one id through every attempt: the reference users are shown
        cid = bind_correlation_id(req.context[JOB].id if job else None)
        outcome.set(None)
        body = req.body if isinstance(req.body, dict) else {}
        kind, name = classify(body, self.dispatcher)
        req.context["dexter_kind"], req.context["dexter_name"] = kind, name
        # a job was checked at the door; its markers are set, so checking again would refuse
        rejected = None if job else await _duplicate(self.store, self.once, req, body)
        if rejected is not None:
            self.metrics.rejected.labels(rejected).inc()
            if rejected == "retry":
                self.metrics.duplicates.inc()
                return BoltResponse(status=200, body="")
            return BoltResponse(status=401, body="replayed request")
        log.debug("slack %s %s [%s]", kind, name, cid)
        return await next()


class _Enter(AsyncMiddleware):
    """What listeners need: the workspace's Sentry and token, the request's deadline, an
    error-counting client. Runs after the front door, so only where listeners run."""

    def __init__(
        self,
        settings: Settings,
        tenancy: Tenancy,
        installations: RedisInstallationStore | None,
        metrics: Metrics,
        first: AckFirst,
    ) -> None:
        self.settings = settings
        self.tenancy = tenancy
        self.installations = installations  # multi-workspace: where Grid teams' bots live
        self.metrics = metrics
        self.first = first

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        kind = req.context.get("dexter_kind")
        # Bolt's client already carries this workspace's token; route Sentry calls too,
        # and give shared clients built without a token (the user directory) this one.
        await self.tenancy.enter(req.context.team_id, slack=False)
        # One deadline for everything this request asks of Sentry; where Slack gave a
        # response_url, a read still waiting after a few seconds says Sentry is slow.
        settings = self.settings
        # every answer is checked on its way out (bot/slack/outgoing.py), whoever sends it
        respond = make_safe(req.context.respond)
        deadline.begin(
            settings.sentry_deadline,
            slow_after=settings.sentry_slow_note,
            on_slow=_slow_note(respond) if respond is not None else None,
        )
        if settings.multi_workspace:
            slack_token.set(req.context.bot_token)
        await _remember_grid_team(self.installations, req)
        if kind != "event":  # Bolt acks events itself, inside the dispatch: never delay that
            req.context["ack"] = _Ack(self.first)
        client = req.context.client
        if type(client) is AsyncWebClient:
            # Bolt made this client for this request alone; count its errors in place
            client.__class__ = InstrumentedWebClient
            client.on_error = self.metrics.slack_error  # type: ignore[attr-defined]
        return await next()


def _slow_note(respond: AsyncRespond) -> Callable[[], Awaitable[object]]:
    async def send() -> object:
        return await respond(
            text=messages.SENTRY_SLOW, response_type="ephemeral", replace_original=False
        )

    return send


def install(
    app: DexterApp,
    *,
    settings: Settings,
    store: Store,
    tenancy: Tenancy,
    dispatcher: Dispatcher | None,
    installations: RedisInstallationStore | None,
    front: AsyncMiddleware | None = None,
    guard: AsyncMiddleware | None = None,
) -> None:
    """Add the request middleware (with the front door between the checks and the
    listeners' set-up, when this process answers Slack) and the completion hook."""
    # Bolt has no public setter for this hook; it is called when each listener finishes.
    app._async_listener_runner.listener_completion_handler = _Completion(app.metrics)
    app.use(_Observe(store, dispatcher, app.metrics))
    if guard is not None:  # refused before anything is queued
        app.use(guard)
    if front is not None:
        app.use(front)
    app.use(_Enter(settings, tenancy, installations, app.metrics, app.ack_first))


async def _duplicate(
    store: Store, once: OnceChecker, req: AsyncBoltRequest, body: dict[str, Any]
) -> str | None:
    """`replay` for a re-sent signed request, `retry` for an event already handled."""
    event_id = body.get("event_id")
    signature = _header(req, "x-slack-signature")
    is_retry = _header(req, "x-slack-retry-num") is not None
    # A signature is only unique per (timestamp, body); Slack's own event retries carry a
    # new one, and those are deduplicated by event_id below instead.
    if signature and not (is_retry and event_id):
        digest = hashlib.sha256(signature.encode()).hexdigest()[:40]
        if not await once.first_time(store.key("seen", digest), REPLAY_TTL):
            log.warning("refusing a replayed Slack request")
            return "replay"
    if event_id:
        # Bolt does not deduplicate Events API retries (X-Slack-Retry-Num): Redis does.
        key = store.key("event", str(event_id))
        if not await once.first_time(key, EVENT_DEDUPE_TTL):
            log.info("dropping duplicate delivery of event %s", event_id)
            return "retry"
    return None


async def _remember_grid_team(
    installs: RedisInstallationStore | None, req: AsyncBoltRequest
) -> None:
    """Note where an Enterprise Grid team's bot lives, for jobs that only know the team."""
    ctx = req.context
    if installs is None or not ctx.enterprise_id or not ctx.team_id:
        return
    try:
        await installs.remember_team(
            ctx.team_id, ctx.enterprise_id, bool(ctx.is_enterprise_install)
        )
    except StateUnavailable:
        log.info("could not record the install of team %s", ctx.team_id)


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name) or []
    return str(values[0]) if values else None
