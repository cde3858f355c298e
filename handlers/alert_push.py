"""Sentry's alert deliveries acted on: `event_alert` → Dexter's issue card in the rule's channel,
`metric_alert` → one message per incident, later states threaded under it.

The handlers are `WebhookHandler`s (bot/webhooks/types.py), run after Sentry got its answer;
`alert_handlers` builds them, by resource, for the webhook router.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push import payloads, texts
from bot.alert_push.action import NOT_POSTABLE, check_for_delivery, forget_usable
from bot.alert_push.incidents import IncidentAlerts
from bot.alert_push.interval import DEFAULT_MINUTES, rule_interval
from bot.alert_push.memory import AlertMemory, AlertNote, PostedCard, SuggestionNote
from bot.alert_push.suggest import assign_buttons, suggestion_line
from bot.core import mrkdwn
from bot.core.errors import SentryNotFound, StateUnavailable
from bot.core.format import truncate
from bot.deps import Deps
from bot.sentry.models import Issue
from bot.sentry.owners import Suggestion
from bot.sentry.refs import IssueRef
from bot.slack.card_hooks import CardButton, CardEnricher, CardNote
from bot.slack.channel_gone import MESSAGE_GONE
from bot.triage import cards
from bot.triage.card_store import CardRef
from bot.webhooks.types import Delivery, WebhookHandler

log = logging.getLogger(__name__)

LOCK_TTL = 60.0
LOCK_WAIT = 30.0
GONE = MESSAGE_GONE
_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")


def slack_client(deps: Deps) -> AsyncWebClient:
    """The app's Web API client (in multi-workspace installs, the job's workspace token)."""
    return deps.slack_users.client


async def on_event_alert(delivery: Delivery, deps: Deps) -> None:
    """Post (or update) Dexter's card of the issue in the channel the rule's action names."""
    fired = payloads.issue_alert(delivery.data)
    if delivery.action != "triggered" or fired is None:
        log.info("event_alert %s ignored: no issue in it", delivery.request_id)
        return
    async with deps.tenancy.workspace(delivery.team_id):
        memory = deps.alert_memory
        if await memory.done(delivery.request_id):
            return
        client = slack_client(deps)
        check = await check_for_delivery(deps.store, client, delivery.team_id, fired.channel)
        if not check.ok or check.channel is None:
            log.warning(
                "event_alert %s for rule %r not delivered: channel %r in workspace %s: %s",
                delivery.request_id,
                truncate(fired.rule_title, 80),
                truncate(fired.channel or "", 40),
                delivery.team_id,
                check.problem,
            )
            await memory.mark_done(delivery.request_id)
            return
        rule = fired.rule_id or f"title:{fired.rule_title}"
        name = memory.lock_name("card", rule, fired.issue_id)
        try:
            async with deps.store.lock(name, ttl=LOCK_TTL, wait=LOCK_WAIT) as got:
                if not got:  # never post unlocked: fail this attempt, the job is retried
                    raise StateUnavailable(f"alert card {rule}/{fired.issue_id} is busy")
                await _deliver_card(deps, client, memory, fired, check.channel, rule)
        except SentryNotFound:  # deleted, merged away, or not this organisation's: no retry helps
            log.warning(
                "event_alert %s: Sentry does not know issue %s here; nothing posted",
                delivery.request_id,
                fired.issue_id,
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in NOT_POSTABLE:
                raise
            await forget_usable(deps.store, delivery.team_id, check.channel)
            log.warning(
                "event_alert %s for rule %r not delivered: Slack says %s for channel %s",
                delivery.request_id,
                truncate(fired.rule_title, 80),
                exc.response.get("error"),
                check.channel,
            )
        await memory.mark_done(delivery.request_id)


async def _deliver_card(
    deps: Deps,
    client: AsyncWebClient,
    memory: AlertMemory,
    fired: payloads.IssueAlertFired,
    channel: str,
    rule: str,
) -> None:
    # The payload is a hint: the issue (and its project) is what Sentry answers now.
    detail = await deps.issues.detail(IssueRef(issue_id=fired.issue_id))
    issue = detail.issue
    event_id = fired.event_id if fired.event_id and _EVENT_ID.match(fired.event_id) else None
    event_id = event_id or (detail.event.event_id if detail.event else None)
    found, interval = await asyncio.gather(
        _suggestions(deps, issue.project.slug, event_id),
        _interval(deps, issue.project.slug, fired.rule_id),
    )
    note = AlertNote(rule_title=fired.rule_title, suggestions=[SuggestionNote.of(s) for s in found])
    try:
        await memory.remember_note(issue.id, note)
    except StateUnavailable:
        log.warning("could not remember the alert note of issue %s", issue.id)
    card = await cards.render(deps, issue.id, detail=detail)
    previous = await memory.card(rule, issue.id)
    if previous is not None and previous.channel == channel:
        again = PostedCard(channel=channel, ts=previous.ts, fired=previous.fired + 1)
        if await _update(client, again, card.blocks, card.text, fired.rule_title):
            await memory.remember_card(rule, issue.id, again, interval=interval)
            return
    resp = await client.chat_postMessage(
        channel=channel, blocks=card.blocks, text=card.text, unfurl_links=False
    )
    posted = PostedCard(channel=str(resp["channel"]), ts=str(resp["ts"]))
    await cards.remember(deps, issue.id, CardRef(channel=posted.channel, ts=posted.ts))
    await memory.remember_card(rule, issue.id, posted, interval=interval)


async def _suggestions(deps: Deps, project: str, event_id: str | None) -> list[Suggestion]:
    return await deps.owners.suggestions(project, event_id) if event_id else []


async def _interval(deps: Deps, project: str, rule_id: str | None) -> float:
    if rule_id is None:  # a rule Sentry named only by title: Sentry's default interval
        return DEFAULT_MINUTES * 60.0
    return await rule_interval(deps.store, deps.sentry, project, rule_id)


async def _update(
    client: AsyncWebClient, card: PostedCard, blocks: list[dict[str, Any]], text: str, rule: str
) -> bool:
    """Update the card and say in its thread that the rule fired again; False if it is gone."""
    try:
        await client.chat_update(channel=card.channel, ts=card.ts, blocks=blocks, text=text)
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        log.info("alert card %s/%s not updated (%s): posting anew", card.channel, card.ts, error)
        if error in GONE:
            return False
        raise
    line = mrkdwn.format(texts.FIRED_AGAIN, rule=truncate(rule, 200), count=card.fired)
    await client.chat_postMessage(channel=card.channel, thread_ts=card.ts, text=line)
    return True


def alert_handlers(deps: Deps, client: AsyncWebClient) -> dict[str, WebhookHandler]:
    """The handler of each alert resource, on the app's Slack client."""
    incidents = IncidentAlerts(
        tenancy=deps.tenancy,
        memory=deps.alert_memory,
        store=deps.store,
        sentry=deps.sentry,
        projects=deps.projects,
        renderer=deps.renderer,
        client=client,
    )
    return {"event_alert": partial(on_event_alert, deps=deps), "metric_alert": incidents}


def card_note(deps: Deps) -> CardNote:
    """The card lines naming the alert that fired and its suggested owners."""

    async def alert_notes(issue: Issue) -> list[str]:
        note = await deps.alert_memory.note(issue.id)
        if note is None:
            return []
        lines: list[str] = [mrkdwn.format(texts.ALERT_LINE, rule=truncate(note.rule_title, 200))]
        if note.suggestions:
            lines.append(suggestion_line(note.suggestions))
        return lines

    return alert_notes


def card_enricher(deps: Deps) -> CardEnricher:
    """The card's "Assign to <suggested owner>" buttons."""

    async def suggested_buttons(issue: Issue) -> list[CardButton]:
        note = await deps.alert_memory.note(issue.id)
        return assign_buttons(issue, note.suggestions) if note else []

    return suggested_buttons
