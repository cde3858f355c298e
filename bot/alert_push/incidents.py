"""`metric_alert` deliveries: one message per incident, its chart in the thread; later states
update the message's header and add a line under it (incident id → message, in Redis)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push import payloads, texts
from bot.alert_push.action import NOT_POSTABLE, check_for_delivery, forget_usable
from bot.alert_push.memory import AlertMemory, IncidentMessage
from bot.alert_push.metric import fetch_chart, header_blocks, thread_line
from bot.core.errors import StateUnavailable
from bot.slack.channel_gone import MESSAGE_GONE
from bot.slack.render import fallback_text
from bot.webhooks.types import Delivery

if TYPE_CHECKING:
    from bot.core.store import Store
    from bot.sentry.client import SentryClient
    from bot.sentry.projects import ProjectService
    from bot.slack.render import Renderer
    from bot.slack.tenancy import Tenancy

log = logging.getLogger(__name__)

LOCK_TTL = 60.0
LOCK_WAIT = 30.0
GONE = MESSAGE_GONE


class IncidentAlerts:
    """The `metric_alert` resource handler."""

    def __init__(
        self,
        *,
        tenancy: Tenancy,
        memory: AlertMemory,
        store: Store,
        sentry: SentryClient,
        projects: ProjectService,
        renderer: Renderer,
        client: AsyncWebClient,
    ) -> None:
        self.tenancy = tenancy
        self.store = store
        self.sentry = sentry
        self.projects = projects
        self.renderer = renderer
        self.client = client  # the app's (in multi-workspace installs, the job's token)
        self.memory = memory

    async def __call__(self, delivery: Delivery) -> None:
        """Post the incident's message (and chart), or update it and thread the new state."""
        inc = payloads.incident(delivery.action, delivery.data)
        if inc is None:
            log.info("metric_alert %s ignored: no incident in it", delivery.request_id)
            return
        async with self.tenancy.workspace(delivery.team_id):
            memory = self.memory
            if await memory.done(delivery.request_id):
                return
            check = await check_for_delivery(self.store, self.client, delivery.team_id, inc.channel)
            if not check.ok or check.channel is None:
                log.warning(
                    "metric_alert %s (incident %s) not delivered: channel %r in workspace %s: %s",
                    delivery.request_id,
                    inc.id,
                    (inc.channel or "")[:40],
                    delivery.team_id,
                    check.problem,
                )
                await memory.mark_done(delivery.request_id)
                return
            try:
                async with self.store.lock(
                    memory.lock_name("incident", inc.id), ttl=LOCK_TTL, wait=LOCK_WAIT
                ) as got:
                    if not got:  # never post unlocked: fail this attempt, the job is retried
                        raise StateUnavailable(f"incident {inc.id} is busy")
                    await self._deliver(inc, check.channel, delivery.request_id)
            except SlackApiError as exc:
                if exc.response.get("error") not in NOT_POSTABLE:
                    raise
                await forget_usable(self.store, delivery.team_id, check.channel)
                log.warning(
                    "metric_alert %s (incident %s) not delivered: Slack says %s for channel %s",
                    delivery.request_id,
                    inc.id,
                    exc.response.get("error"),
                    check.channel,
                )
            await memory.mark_done(delivery.request_id)

    async def _deliver(self, inc: payloads.Incident, channel: str, request_id: str) -> None:
        """Each Slack effect is recorded (with the delivery's id) as soon as it is done: a job
        that fails later and is retried finishes what is left instead of threading the state
        again."""
        client, memory = self.client, self.memory
        known = await memory.incident(inc.id)
        state = texts.INCIDENT_STATES.get(inc.state, inc.state)
        if known is not None and request_id in known.shown:
            log.info("incident %s: delivery %s already shown, finishing it", inc.id, request_id)
            if known.chart_due == request_id:
                await self._post_chart(inc, known)
            return
        if known is not None:
            history = [*known.history, state]
            blocks = header_blocks(self.renderer, inc, history=history)
            try:
                await client.chat_update(
                    channel=known.channel, ts=known.ts, blocks=blocks, text=fallback_text(blocks)
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error"))
                if error not in GONE:
                    raise
                log.info("incident %s message gone (%s): posting anew", inc.id, error)
                known = None
            else:
                await client.chat_postMessage(
                    channel=known.channel, thread_ts=known.ts, text=thread_line(inc)
                )
                await memory.remember_incident(
                    inc.id,
                    known.showing(request_id, state=inc.state, history=history),
                )
                return
        blocks = header_blocks(self.renderer, inc, history=[state])
        resp = await client.chat_postMessage(
            channel=channel, blocks=blocks, text=fallback_text(blocks), unfurl_links=False
        )
        posted = IncidentMessage(
            channel=str(resp["channel"]), ts=str(resp["ts"]), state=inc.state, history=[state]
        ).showing(request_id, chart_due=request_id)
        await memory.remember_incident(inc.id, posted)
        await self._post_chart(inc, posted)

    async def _post_chart(self, inc: payloads.Incident, posted: IncidentMessage) -> None:
        """The chart in the message's thread; none (logged) when it cannot be read or drawn."""
        png = await fetch_chart(self.sentry, self.projects, inc)
        if png is not None:
            try:
                await self.client.files_upload_v2(
                    channel=posted.channel,
                    thread_ts=posted.ts,
                    content=png,
                    filename=f"incident-{inc.identifier}.png",
                    title=texts.INCIDENT_CHART.format(rule=inc.rule_name, aggregate=inc.aggregate),
                )
            except SlackApiError as exc:
                log.warning("incident %s chart not uploaded: %s", inc.id, exc.response.get("error"))
        # The incident's lock is held: no other state changed the message meanwhile.
        await self.memory.remember_incident(inc.id, posted.model_copy(update={"chart_due": ""}))
