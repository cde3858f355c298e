"""`/dexter event <issue> [latest|oldest|recommended|<event id>|tags]` and the buttons' values."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.format import truncate
from bot.events import texts
from bot.sentry.refs import IssueRef, parse_ref_argument

EVENT_USAGE = "/dexter event <issue> [latest | oldest | recommended | <event id> | tags]"
NAMED = ("latest", "oldest", "recommended")
TAGS = "tags"
# What Sentry routes to the event endpoint (src/sentry/api/urls.py, group-event-details):
# `(?:latest|oldest|recommended|\d+|[A-Fa-f0-9-]{32,36})`. Anything else is a 404 there, so it
# is refused here, before it can become part of a path.
EVENT_ID = re.compile(r"(?:latest|oldest|recommended|\d+|[A-Fa-f0-9-]{32,36})")

EVENT_IN_URL = re.compile(r"/issues/\d+/events/(" + EVENT_ID.pattern + r")/?(?:[?#|>].*)?$")


@dataclass(frozen=True, slots=True)
class EventTarget:
    """Which issue, and which of its events (a keyword or an id), or its tags."""

    issue: IssueRef
    which: str = "latest"

    @property
    def tags(self) -> bool:
        """The tags view rather than an event."""
        return self.which == TAGS


def parse_event_id(raw: str) -> str | None:
    """The event id or keyword Sentry would route, lower-cased keywords; None when not one."""
    word = raw.strip()
    if word.lower() in NAMED:
        return word.lower()
    return word.lower() if EVENT_ID.fullmatch(word) else None


def parse_event_command(args: str) -> EventTarget:
    """The issue and the event the user typed after `/dexter event`."""
    ref = parse_ref_argument(args, EVENT_USAGE)
    words = args.split()[1:]
    if not words:
        # a pasted event link (`…/issues/1/events/<event id>/`) names its event
        linked = EVENT_IN_URL.search(args.split()[0]) if args.split() else None
        return EventTarget(issue=ref, which=linked.group(1).lower() if linked else "latest")
    if len(words) > 1:
        raise UserError(texts.TOO_MANY_WORDS, usage=EVENT_USAGE)
    if words[0].lower() == TAGS:
        return EventTarget(issue=ref, which=TAGS)
    which = parse_event_id(words[0])
    if which is None:
        # plain text: the reply escapes a UserError's message whole (handlers/error_replies.py)
        word = truncate(words[0], 60).replace("`", "'")
        raise UserError(texts.BAD_EVENT_ID.format(word=word), usage=EVENT_USAGE)
    return EventTarget(issue=ref, which=which)


def button_value(issue_id: str, which: str) -> str:
    """What an event button carries: `<issue id>|<event id or keyword>`."""
    return f"{issue_id}|{which}"


def parse_button_value(value: str | None) -> EventTarget | None:
    """The target a button names, or None when the value is not one Dexter writes.

    A value is a hint: Sentry reads the event under that issue (and refuses an event of
    another issue, `get_event_by_id(..., group_id=...)` in group_event_details.py).
    """
    issue_id, _, which = (value or "").partition("|")
    if not issue_id.isdigit() or len(issue_id) > 20:
        return None
    if which == TAGS:
        return EventTarget(issue=IssueRef(issue_id=issue_id), which=TAGS)
    event = parse_event_id(which or "latest")
    return EventTarget(issue=IssueRef(issue_id=issue_id), which=event) if event else None
