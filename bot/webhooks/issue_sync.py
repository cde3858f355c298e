"""The `issue` resource: keep every card of an issue true, and announce new issues.

`created`: each channel subscribed to the issue's project (and whose search Sentry says the
issue matches) gets a card. Every other action refreshes every living card of the issue in
every channel, coalesced per issue (bot/webhooks/coalesce.py). The payload is only a hint:
cards are rendered from the issue as Sentry returns it now.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.issues import IssueService
from bot.sentry.models import Issue
from bot.sentry.scope import sentry_identity
from bot.webhooks.coalesce import Coalescer
from bot.webhooks.issue_subs import IssueSubscription, IssueSubscriptions
from bot.webhooks.types import Delivery

log = logging.getLogger(__name__)

REFRESHING = frozenset({"resolved", "assigned", "archived", "ignored", "unresolved"})


class IssueCards(Protocol):
    """What the Slack side does with issue cards (`SlackIssueCards` in bot/triage/cards.py)."""

    async def refresh(self, issue_id: str) -> None:
        """Re-render the issue from Sentry and update every remembered card of it."""

    async def post(self, channel: str, issue_id: str) -> dict[str, Any] | None:
        """Post (and remember) a card; None when Dexter may not post in that channel."""


def issue_id_of(data: Any) -> str | None:
    """The issue id a delivery names (`data.issue.id`, or `data.issue_id`), digits only."""
    if not isinstance(data, dict):
        return None
    issue = data.get("issue")
    raw = issue.get("id") if isinstance(issue, dict) else data.get("issue_id")
    text = str(raw) if isinstance(raw, str | int) else ""
    return text if text.isdigit() and len(text) <= 20 else None


async def matches(sentry: SentryClient, sub: IssueSubscription, issue: Issue) -> bool:
    """Whether Sentry finds the issue with the subscription's search (Sentry decides)."""
    if not sub.query:
        return True
    resp = await sentry.get(
        sentry.org_path("issues"),
        params={
            "query": f"{sub.query} issue.id:{issue.id}",
            "project": [issue.project.id],
            "limit": 1,
        },
    )
    found = resp.data if isinstance(resp.data, list) else []
    return any(isinstance(i, dict) and str(i.get("id")) == issue.id for i in found)


class IssueSync:
    """The `issue` resource handler."""

    def __init__(
        self,
        coalescer: Coalescer,
        *,
        cards: IssueCards,
        store: Store,
        sentry: SentryClient,
        issues: IssueService,
    ) -> None:
        self.coalescer = coalescer
        self.cards = cards
        self.sentry = sentry
        self.issues = issues
        self.subscriptions = IssueSubscriptions(store)

    async def __call__(self, delivery: Delivery) -> None:
        issue_id = issue_id_of(delivery.data)
        if issue_id is None:
            log.info("issue webhook %s names no issue", delivery.request_id)
            return
        if delivery.action == "created":
            await self.announce(delivery, issue_id)
        elif delivery.action in REFRESHING:
            await self.refresh(issue_id)

    async def refresh(self, issue_id: str) -> int:
        """Refresh the issue's cards, coalesced with every other delivery about it."""
        cards = self.cards
        key = f"issue-cards:{sentry_identity(self.sentry)}:{issue_id}"
        return await self.coalescer.run(key, lambda: cards.refresh(issue_id))

    async def announce(self, delivery: Delivery, issue_id: str) -> int:
        """Post a card in each channel subscribed to this new issue; returns cards posted."""
        hint = delivery.data.get("issue")
        project = hint.get("project") if isinstance(hint, dict) else None
        slug = project.get("slug") if isinstance(project, dict) else None
        subs = self.subscriptions
        wanted = await subs.for_project(str(slug), team_id=delivery.team_id) if slug else []
        if not wanted:
            return 0
        issue = await self.issues.get(issue_id)  # the payload is a hint: Sentry says what it is
        posted = 0
        done: set[str] = set()  # one card per channel, however many subscriptions match
        for sub in wanted:
            if sub.channel in done or sub.project != issue.project.slug:
                continue
            if not await matches(self.sentry, sub, issue):
                continue
            done.add(sub.channel)
            if await self.cards.post(sub.channel, issue_id) is None:
                log.warning("issue subscription %s: cannot post in %s", sub.id, sub.channel)
                continue
            posted += 1
        log.info("new issue %s: %d card(s) posted", issue_id, posted)
        return posted
