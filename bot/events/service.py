"""Reads for the event view: the issue and one of its events, or its tag distributions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.format import escape
from bot.events import texts
from bot.events.api import EventApi
from bot.events.models import EventDetail, TagDetail
from bot.events.parse import NAMED, EventTarget
from bot.sentry.issues import IssueService
from bot.sentry.models import Issue

# The tags a team triages by, in the order they are shown; then the issue's others.
KEY_TAGS = (
    "environment",
    "release",
    "level",
    "handled",
    "browser",
    "os",
    "device",
    "runtime",
    "url",
    "transaction",
    "user",
    "server_name",
)
MAX_TAGS = 8


@dataclass(frozen=True, slots=True)
class EventPage:
    issue: Issue
    event: EventDetail
    which: str
    ends_known: bool = True  # a missing neighbour means the first or last event


@dataclass(frozen=True, slots=True)
class TagsPage:
    issue: Issue
    tags: list[TagDetail]


def tag_keys(issue: Issue, limit: int = MAX_TAGS) -> list[str]:
    """The issue's tag keys worth showing: the key tags first, then the most used others."""
    known = {t.key: t.total_values for t in issue.tags}
    if not known:  # a Sentry that does not list them: ask for the usual ones
        return list(KEY_TAGS[:limit])
    first = [k for k in KEY_TAGS if k in known]
    rest = sorted((k for k in known if k not in KEY_TAGS), key=lambda k: (-known[k], k))
    return (first + rest)[:limit]


class EventService:
    """What the event view reads; every read is scoped to the organisation by Sentry."""

    def __init__(self, issues: IssueService, api: EventApi) -> None:
        self.issues = issues
        self.api = api

    async def event(self, target: EventTarget) -> EventPage:
        """The issue and the event the target names, read together."""
        path = await self.issues.path_id(target.issue)
        issue, event = await asyncio.gather(
            self.issues.get(path), self.api.event(path, target.which)
        )
        if event is None:
            if target.which in NAMED:
                detail = texts.NO_EVENT.format(issue=escape(issue.short_id))
            else:
                detail = texts.EVENT_NOT_FOUND.format(
                    event=target.which[:40], issue=escape(issue.short_id)
                )
            raise UserError(detail)
        if not {"next_event_id", "previous_event_id"} & event.model_fields_set:
            # a Sentry that does not name the neighbours: find them in the issue's event list
            older, newer, known = await self.api.neighbours(path, event.event_id or event.id)
            event = event.model_copy(update={"previous_event_id": older, "next_event_id": newer})
            return EventPage(issue=issue, event=event, which=target.which, ends_known=known)
        return EventPage(issue=issue, event=event, which=target.which)

    async def tags(self, target: EventTarget) -> TagsPage:
        """The issue and the distribution of its key tags."""
        issue = await self.issues.get(await self.issues.path_id(target.issue))
        return TagsPage(issue=issue, tags=await self.api.tags(issue.id, tag_keys(issue)))
