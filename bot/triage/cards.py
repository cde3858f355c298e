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
from typing import TYPE_CHECKING, Any

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
    from bot.deps import Deps

log = logging.getLogger(__name__)

REFRESH_CONCURRENCY = 4
CARD_NOTE_TIMEOUT = 2.0
# Slack errors that mean a remembered card is gone for good: forget it.
GONE = MESSAGE_GONE


@dataclass(frozen=True, slots=True)
class Card:
    detail: IssueDetail
    blocks: list[dict[str, Any]]

    @property
    def text(self) -> mrkdwn.Mrkdwn:
        """The message's fallback text (mrkdwn: the title escaped)."""
        return mrkdwn.format("{}: {}", self.detail.issue.short_id, self.detail.issue.title)


def posted_hook(deps: Deps) -> CardPosted:
    """Remember every card posted, so a change refreshes all its copies."""

    async def on_card_posted(issue_id: str, posted: dict[str, Any]) -> None:
        await remember(deps, issue_id, CardRef(channel=posted["channel"], ts=posted["ts"]))

    return on_card_posted


def state_note(deps: Deps) -> CardNote:
    """The card's first context line: its state and who changed it last."""

    async def state_notes(issue: Issue) -> list[str]:
        return await notes(deps, issue)

    return state_notes


class SlackIssueCards:
    """Card refresh and posting for work that is not a Slack request (Sentry webhooks)."""

    def __init__(self, deps: Deps, client: AsyncWebClient) -> None:
        self.deps = deps
        self.client = client

    async def refresh(self, issue_id: str) -> None:
        """Re-render the issue from Sentry and update every remembered card of it."""
        await refresh(self.deps, self.client, issue_id)

    async def post(self, channel: str, issue_id: str) -> dict[str, Any] | None:
        """Post (and remember) a card; None when Dexter may not post in that channel."""
        _, posted = await post(self.deps, self.client, channel, issue_id)
        return posted


async def remember(deps: Deps, issue_id: str, ref: CardRef) -> None:
    """Add a card to the registry (best effort: a card that is not refreshed is no disaster)."""
    try:
        await deps.triage.cards.add(issue_id, ref)
    except StateUnavailable:
        log.warning("could not remember the card of issue %s", issue_id)


async def notes(deps: Deps, issue: Issue) -> list[str]:
    """The card's context lines: the status detail and who changed it last through Dexter."""
    out: list[str] = []
    state = status_note(issue.status, issue.status_details)
    if state:
        out.append(state)
    try:
        activity = await deps.triage.cards.activity(issue.id)
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
    deps: Deps,
    detail: IssueDetail,
    *,
    notes: list[str] | None = None,
    buttons: list[CardButton] | None = None,
) -> list[dict[str, Any]]:
    """The issue card: its control row (templates/triage/_controls.j2) and features' buttons."""
    return deps.renderer.blocks(
        "triage/issue_card",
        issue=detail.issue,
        event=detail.event,
        # `Resolve in next release` only where the project has releases
        has_releases=deps.triage.release_hint(detail.issue.project.id),
        buttons=buttons or [],
        notes=notes or [],
        now=clock.now(),
        release_url=deps.cards.release_url,
    )


async def enrich_card(deps: Deps, detail: IssueDetail) -> list[CardButton]:
    """Extra card buttons from `deps.cards.enrichers` (may ask Sentry), run concurrently."""
    enrichers = deps.cards.enrichers
    found = await asyncio.gather(*(e(detail.issue) for e in enrichers), return_exceptions=True)
    out: list[CardButton] = []
    for result in found:
        if isinstance(result, BaseException):
            log.warning("card enricher failed: %s", result)
        else:
            out += result
    return out


async def card_notes(deps: Deps, issue: Issue) -> list[str]:
    """Context lines from `deps.cards.notes`, gathered concurrently.

    Each enricher is `async (issue) -> list[str]`; a slow or failing one is left out.
    """
    enrichers = deps.cards.notes
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


async def card_parts(deps: Deps, detail: IssueDetail) -> tuple[list[CardButton], list[str]]:
    """Every feature's extra buttons and context lines for a card, gathered concurrently."""
    extra, notes = await asyncio.gather(enrich_card(deps, detail), card_notes(deps, detail.issue))
    return extra, notes


async def render_card(deps: Deps, detail: IssueDetail) -> list[dict[str, Any]]:
    """The card with every feature's extra buttons and context lines, gathered concurrently."""
    extra, notes = await card_parts(deps, detail)
    return card_blocks(deps, detail, notes=notes, buttons=extra)


async def render(deps: Deps, issue_id: str, *, detail: IssueDetail | None = None) -> Card:
    """Read the issue from Sentry (unless the caller just did) and build its card."""
    detail = detail or await deps.issues.detail(IssueRef(issue_id=issue_id))

    async def releases_known() -> None:
        try:
            await deps.triage.has_releases(detail.issue.project.id)  # the Resolve menu reads it
        except SentryError as exc:
            log.info("could not tell whether %s has releases: %s", detail.issue.project.slug, exc)

    # The card's notes and buttons do not depend on the releases check: ask both at once,
    # then render (the card reads the check's cached answer).
    (extra, notes), _ = await asyncio.gather(card_parts(deps, detail), releases_known())
    return Card(detail=detail, blocks=card_blocks(deps, detail, notes=notes, buttons=extra))


async def refresh(
    deps: Deps,
    client: AsyncWebClient,
    issue_id: str,
    *,
    card: Card | None = None,
    also: CardRef | None = None,
) -> Card | None:
    """Re-render the issue once and update every remembered card and unfurl of it (and `also`)."""
    try:
        refs = await deps.triage.cards.cards(issue_id)
    except StateUnavailable:
        refs = []
    if also is not None and also not in refs:
        refs.append(also)
    if not refs:
        return card
    card = card or await render(deps, issue_id)
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
                        await deps.triage.cards.remove(issue_id, ref)

    await asyncio.gather(*(one(ref) for ref in refs))
    return card


async def post(
    deps: Deps, client: AsyncWebClient, channel: str, issue_id: str
) -> tuple[Card, dict[str, Any] | None]:
    """Post the card in a channel; (card, None) when Dexter may not post there."""
    card = await render(deps, issue_id)
    try:
        resp = await client.chat_postMessage(
            channel=channel, blocks=card.blocks, text=card.text, unfurl_links=False
        )
    except SlackApiError as exc:
        if is_channel_gone(exc):
            return card, None
        raise
    posted = {"channel": resp["channel"], "ts": resp["ts"]}
    await remember(deps, issue_id, CardRef(channel=posted["channel"], ts=posted["ts"]))
    return card, posted
