"""What the event view says in words. Tests import these."""

from __future__ import annotations

TOO_MANY_WORDS = (
    "Give the issue and at most one event: `latest`, `oldest`, `recommended`, "
    "an event id or `tags`."
)
BAD_EVENT_ID = (
    "`{word}` is not an event: give `latest`, `oldest`, `recommended`, "
    "an event id (32 hex digits) or `tags`."
)
NO_EVENT = "Sentry has no event of {issue} to show (it may be past retention)."
NO_TAGS = "Sentry has no tags for {issue}."
EVENT_NOT_FOUND = "Sentry has no event `{event}` in {issue} (wrong id, or past retention)."
CUT = "Cut to fit Slack: {link}"
FULL_EVENT = "the full event in Sentry"
OLDER = "◀ Older"
NEWER = "Newer ▶"
TAGS_BUTTON = "Tags"
STACK_TRACE = "Stack trace"
OPEN_EVENT = "Open event in Sentry"
OPEN_TAGS = "All tags in Sentry"
NO_FRAMES = "(no stack frames)"
MORE_FRAMES = "… {n} more frames ({library} from libraries) in Sentry"
MORE_EXCEPTIONS = "{n} more exceptions in the chain are in Sentry."
CAUSED = "which came from"
HANDLED = "handled"
UNHANDLED = "unhandled"
OLDEST_SHOWN = "This is the oldest event Sentry keeps for the issue."
NEWEST_SHOWN = "This is the newest event."
EVENT_TEXT = "An event of {issue}"
TAGS_TEXT = "Tags of {issue}"
BREADCRUMBS = "*Breadcrumbs* · the last {n} of {total} before the error"
MESSAGE = "Message"
REQUEST = "Request"
EVENT = "event"
USER = "user"
TAG_HEAD = "*{name}* · {total} events · {values} values"
