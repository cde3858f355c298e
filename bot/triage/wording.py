"""How triage changes and issue states read to people (cards, replies, previews).

These are plain text: a release version or an assignee label inside them is whatever the
user typed or Sentry returned. They are escaped where they are shown (templates, replies,
`mrkdwn.format` for the card's activity line, which is stored as this text) — see
docs/mrkdwn.md."""

from __future__ import annotations

from typing import Any

from bot.triage.parse import Assign, Ignore, Resolve, Unresolve


def humanize_minutes(minutes: int) -> str:
    """30 → `30 minutes`, 60 → `1 hour`, 1440 → `1 day`, 10080 → `1 week`."""
    for size, unit in ((10080, "week"), (1440, "day"), (60, "hour")):
        if minutes % size == 0:
            n = minutes // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def describe(change: Resolve | Unresolve | Ignore | Assign) -> str:
    """What the change did, capitalised past tense: `Ignored for 2 hours`."""
    if isinstance(change, Resolve):
        if change.when == "now":
            return "Resolved"
        if change.when == "next":
            return "Resolved in the next release"
        where = f"`{change.version}`" if change.version else "the current release"
        return f"Resolved in {where}"
    if isinstance(change, Unresolve):
        return "Unresolved"
    if isinstance(change, Assign):
        return f"Assigned to {change.label or change.assignee}" if change.assignee else "Unassigned"
    if change.until == "escalating":
        return "Ignored until it escalates"
    if change.until == "forever":
        return "Ignored forever"
    if change.until == "duration":
        return f"Ignored for {humanize_minutes(change.minutes or 0)}"
    noun = "events" if change.until == "events" else "users"
    if change.count == 1:
        noun = noun[:-1]
    within = f" in {humanize_minutes(change.window)}" if change.window else ""
    return f"Ignored until {change.count or 0:,} more {noun}{within}"


def preview_verb(change: Resolve | Unresolve | Ignore | Assign) -> str:
    """The change as an instruction for the bulk preview: `ignore for 2 hours`."""
    text = describe(change)
    verb, _, rest = text.partition(" ")
    verbs = {
        "Resolved": "resolve",
        "Unresolved": "unresolve",
        "Ignored": "ignore",
        "Assigned": "assign",
        "Unassigned": "unassign",
    }
    return " ".join(p for p in (verbs.get(verb, verb.lower()), rest) if p)


def status_note(status: str, details: dict[str, Any]) -> str | None:
    """What Sentry's `statusDetails` adds to the status, for the card: `Resolves in …`."""
    if status == "resolved":
        if details.get("inNextRelease"):
            return "Resolves with the next release."
        if details.get("inRelease"):
            return f"Resolved in release `{details['inRelease']}`."
        return None
    if status != "ignored":
        return None
    if details.get("ignoreUntil"):
        return f"Ignored until {str(details['ignoreUntil'])[:16].replace('T', ' ')} UTC."
    for count_key, window_key, noun in (
        ("ignoreCount", "ignoreWindow", "events"),
        ("ignoreUserCount", "ignoreUserWindow", "users"),
    ):
        count = details.get(count_key)
        if isinstance(count, int) and count > 0:
            window = details.get(window_key)
            within = f" in {humanize_minutes(window)}" if isinstance(window, int) and window else ""
            return f"Ignored until {count:,} more {noun}{within}."
    return None
