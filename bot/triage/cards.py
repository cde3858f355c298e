"""Issue cards with triage controls: assemble, render, post, and refresh every copy Dexter has
shown.

Every surface showing a card uses this module: the issue and triage commands and the card's
buttons (handlers/triage/), link unfurls (handlers/unfurl.py), alert deliveries
(handlers/alert_push.py) and Sentry's issue webhooks (`SlackIssueCards`, set on
`deps.issue_cards` by the composition root). It adds no listener; the features' parts of the
card (context lines, buttons) come from `deps.cards` (bot/slack/card_hooks.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import clock, messages, mrkdwn
from bot.core.errors import SentryError, StateUnavailable
from bot.core.format import reltime
from bot.sentry.issues import IssueDetail
from bot.sentry.models import Issue
from bot.sentry.refs import IssueRef
from bot.slack.card_hooks import CardButton, CardNote, CardPosted
from bot.slack.channel_gone import MESSAGE_GONE, is_channel_gone
from bot.triage.card_store import CardRef
from bot.triage.wording import status_note

if TYPE_CHECKING:
    from bot.sentry.issues import IssueService
    from bot.slack.card_hooks import CardHooks
    from bot.slack.render import Renderer
    from bot.triage.service import TriageService

log = logging.getLogger(__name__)

REFRESH_CONCURRENCY = 4
CARD_NOTE_TIMEOUT = 2.0
# Slack errors that mean a remembered card is gone for good: forget it.
GONE = MESSAGE_GONE


class CardServices(Protocol):
    """What a card is made with (the composition root's services satisfy it): the issue read,
    the triage service (card registry, release hints), the renderer, and every feature's parts
    of the card (`CardHooks`, read at each use: building the app again replaces them)."""

    @property
    def issues(self) -> IssueService: ...
    @property
    def triage(self) -> TriageService: ...
    @property
    def renderer(self) -> Renderer: ...
    @property
    def cards(self) -> CardHooks: ...


@dataclass(frozen=True, slots=True)
class Card:
    detail: IssueDetail
    blocks: list[dict[str, Any]]

    @property
    def text(self) -> mrkdwn.Mrkdwn:
        """The message's fallback text (mrkdwn: the title escaped)."""
        return mrkdwn.format("{}: {}", self.detail.issue.short_id, self.detail.issue.title)


def posted_hook(svc: CardServices) -> CardPosted:
    """Remember every card posted, so a change refreshes all its copies."""

    async def on_card_posted(issue_id: str, posted: dict[str, Any]) -> None:
        await remember(svc, issue_id, CardRef(channel=posted["channel"], ts=posted["ts"]))

    return on_card_posted


def state_note(svc: CardServices) -> CardNote:
    """The card's first context line: its state and who changed it last."""

    async def state_notes(issue: Issue) -> list[str]:
        return await notes(svc, issue)

    return state_notes


class SlackIssueCards:
    """Card refresh and posting for work that is not a Slack request (Sentry webhooks)."""

    def __init__(self, svc: CardServices, client: AsyncWebClient) -> None:
        self.svc = svc
        self.client = client

    async def refresh(self, issue_id: str) -> None:
        """Re-render the issue from Sentry and update every remembered card of it."""
        await refresh(self.svc, self.client, issue_id)

    async def post(self, channel: str, issue_id: str) -> dict[str, Any] | None:
        """Post (and remember) a card; None when Dexter may not post in that channel."""
        _, posted = await post(self.svc, self.client, channel, issue_id)
        return posted


async def remember(svc: CardServices, issue_id: str, ref: CardRef) -> None:
    """Add a card to the registry (best effort: a card that is not refreshed is no disaster)."""
    try:
        await svc.triage.cards.add(issue_id, ref)
    except StateUnavailable:
        log.warning("could not remember the card of issue %s", issue_id)


async def notes(svc: CardServices, issue: Issue) -> list[str]:
    """The card's context lines: the status detail and who changed it last through Dexter."""
    out: list[str] = []
    state = status_note(issue.status, issue.status_details)
    if state:
        out.append(state)
    try:
        activity = await svc.triage.cards.activity(issue.id)
    except StateUnavailable:
        activity = None
    if activity is not None:
        out.append(
            mrkdwn.format(
                messages.ACTIVITY_LINE,
                what=activity.text,
                user=activity.slack_user_id,
                when=reltime(activity.at, clock.now()),
            )
        )
    return out


def card_blocks(
    svc: CardServices,
    detail: IssueDetail,
    *,
    notes: list[str] | None = None,
    buttons: list[CardButton] | None = None,
) -> list[dict[str, Any]]:
    """The issue card: its control row (templates/triage/_controls.j2) and features' buttons."""
    return svc.renderer.blocks(
        "triage/issue_card",
        issue=detail.issue,
        event=detail.event,
        # `Resolve in next release` only where the project has releases
        has_releases=svc.triage.release_hint(detail.issue.project.id),
        buttons=buttons or [],
        notes=notes or [],
        now=clock.now(),
        release_url=svc.cards.release_url,
    )


async def enrich_card(svc: CardServices, detail: IssueDetail) -> list[CardButton]:
    """Extra card buttons from `svc.cards.enrichers` (may ask Sentry), run concurrently."""
    enrichers = svc.cards.enrichers
    found = await asyncio.gather(*(e(detail.issue) for e in enrichers), return_exceptions=True)
    out: list[CardButton] = []
    for result in found:
        if isinstance(result, BaseException):
            log.warning("card enricher failed: %s", result)
        else:
            out += result
    return out


async def card_notes(svc: CardServices, issue: Issue) -> list[str]:
    """Context lines from `svc.cards.notes`, gathered concurrently.

    Each enricher is `async (issue) -> list[str]`; a slow or failing one is left out.
    """
    enrichers = svc.cards.notes
    results = await asyncio.gather(
        *(asyncio.wait_for(e(issue), CARD_NOTE_TIMEOUT) for e in enrichers),
        return_exceptions=True,
    )
    notes: list[str] = []
    for result in results:
        if isinstance(result, BaseException):
            log.info("card note skipped: %s: %s", type(result).__name__, result)
        else:
            notes += result
    return notes


async def card_parts(svc: CardServices, detail: IssueDetail) -> tuple[list[CardButton], list[str]]:
    """Every feature's extra buttons and context lines for a card, gathered concurrently."""
    extra, notes = await asyncio.gather(enrich_card(svc, detail), card_notes(svc, detail.issue))
    return extra, notes


async def render_card(svc: CardServices, detail: IssueDetail) -> list[dict[str, Any]]:
    """The card with every feature's extra buttons and context lines, gathered concurrently."""
    extra, notes = await card_parts(svc, detail)
    return card_blocks(svc, detail, notes=notes, buttons=extra)


async def render(svc: CardServices, issue_id: str, *, detail: IssueDetail | None = None) -> Card:
    """Read the issue from Sentry (unless the caller just did) and build its card."""
    detail = detail or await svc.issues.detail(IssueRef(issue_id=issue_id))

    async def releases_known() -> None:
        try:
            await svc.triage.has_releases(detail.issue.project.id)  # the Resolve menu reads it
        except SentryError as exc:
            log.info("could not tell whether %s has releases: %s", detail.issue.project.slug, exc)

    # The card's notes and buttons do not depend on the releases check: ask both at once,
    # then render (the card reads the check's cached answer).
    (extra, notes), _ = await asyncio.gather(card_parts(svc, detail), releases_known())
    return Card(detail=detail, blocks=card_blocks(svc, detail, notes=notes, buttons=extra))


async def refresh(
    svc: CardServices,
    client: AsyncWebClient,
    issue_id: str,
    *,
    card: Card | None = None,
    also: CardRef | None = None,
) -> Card | None:
    """Re-render the issue once and update every remembered card and unfurl of it (and `also`)."""
    try:
        refs = await svc.triage.cards.cards(issue_id)
    except StateUnavailable:
        refs = []
    if also is not None and also not in refs:
        refs.append(also)
    if not refs:
        return card
    card = card or await render(svc, issue_id)
    gate = asyncio.Semaphore(REFRESH_CONCURRENCY)

    async def one(ref: CardRef) -> None:
        async with gate:
            try:
                if ref.url:
                    await client.chat_unfurl(
                        channel=ref.channel, ts=ref.ts, unfurls={ref.url: {"blocks": card.blocks}}
                    )
                else:
                    await client.chat_update(
                        channel=ref.channel, ts=ref.ts, blocks=card.blocks, text=card.text
                    )
            except SlackApiError as exc:
                error = str(exc.response.get("error"))
                log.info("could not refresh card %s/%s: %s", ref.channel, ref.ts, error)
                if error in GONE:
                    with contextlib.suppress(StateUnavailable):
                        await svc.triage.cards.remove(issue_id, ref)

    await asyncio.gather(*(one(ref) for ref in refs))
    return card


async def post(
    svc: CardServices, client: AsyncWebClient, channel: str, issue_id: str
) -> tuple[Card, dict[str, Any] | None]:
    """Post the card in a channel; (card, None) when Dexter may not post there."""
    card = await render(svc, issue_id)
    try:
        resp = await client.chat_postMessage(
            channel=channel, blocks=card.blocks, text=card.text, unfurl_links=False
        )
    except SlackApiError as exc:
        if is_channel_gone(exc):
            return card, None
        raise
    posted = {"channel": resp["channel"], "ts": resp["ts"]}
    await remember(svc, issue_id, CardRef(channel=posted["channel"], ts=posted["ts"]))
    return card, posted
