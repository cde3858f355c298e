"""Triage grammar (pure): words and button values → typed changes → Sentry's update body.

`/dexter resolve|unresolve|ignore|assign|unassign` and `/dexter bulk …` parse their words
here; the card buttons map their `<choice>` values here too, so every surface produces the
same `Change` and the same request body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.errors import UserError

RESOLVE_USAGE = "/dexter resolve <issue> [next | in <version> | current]"
UNRESOLVE_USAGE = "/dexter unresolve <issue>"
IGNORE_HOW = (
    "[for <duration> | until <n> events [in <window>] | until <n> users [in <window>] "
    "| until escalating | forever]"
)
IGNORE_USAGE = f"/dexter ignore <issue> {IGNORE_HOW}"
ASSIGN_USAGE = "/dexter assign <issue> <me | @user | team:<slug> | email>"
UNASSIGN_USAGE = "/dexter unassign <issue>"
BULK_USAGE = (
    "/dexter bulk <resolve | unresolve | ignore [how] | assign <who>> <search query>, "
    "e.g. /dexter bulk ignore for 1w level:warning project:backend"
)

MAX_WINDOW = 10080  # Sentry caps ignoreWindow / ignoreUserWindow at one week (minutes)
MAX_DURATION = 365 * 1440
MAX_COUNT = 10_000_000

_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("d", "day", "days"), 1440),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 10080),
}
_DURATION = re.compile(r"^(\d{1,7})\s*([a-z]+)$")
_COUNT = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(k|m)?$")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Resolve(_Frozen):
    """Resolve now, in the next release, in a named release, or in the current release."""

    kind: Literal["resolve"] = "resolve"
    when: Literal["now", "next", "release", "current"] = "now"
    version: str | None = None  # the release; for `current`, filled in once looked up


class Unresolve(_Frozen):
    kind: Literal["unresolve"] = "unresolve"


class Ignore(_Frozen):
    """Ignore (archive) until escalating, for a while, until a condition, or forever."""

    kind: Literal["ignore"] = "ignore"
    until: Literal["escalating", "duration", "events", "users", "forever"] = "escalating"
    minutes: int | None = None
    count: int | None = None
    window: int | None = None


class Assign(_Frozen):
    """Assign to `user:<id>`, `team:<id>` or an email; `""` unassigns."""

    kind: Literal["assign"] = "assign"
    assignee: str
    label: str = ""


Change = Annotated[Resolve | Unresolve | Ignore | Assign, Field(discriminator="kind")]


@dataclass(frozen=True, slots=True)
class AssigneeSpec:
    """Who the user named: `me`, a Slack user id, a team slug, an email, a bare @name, none."""

    kind: Literal["me", "slack", "team", "email", "name", "none"]
    value: str = ""


# ---- words ------------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """`30m`, `2h`, `1d`, `1w`, `90 minutes` → minutes."""
    m = _DURATION.match(text.strip().lower())
    if not m or m.group(2) not in _UNITS:
        raise UserError(
            f"`{text}` is not a duration. Use a number and a unit: `30m`, `2h`, `1d`, `1w`."
        )
    minutes = int(m.group(1)) * _UNITS[m.group(2)]
    if minutes < 1:
        raise UserError("A duration must be at least one minute.")
    if minutes > MAX_DURATION:
        raise UserError("That is more than a year; use `forever` instead.")
    return minutes


def parse_count(text: str) -> int:
    """`100`, `1,000`, `5k` → a positive count."""
    m = _COUNT.match(text.strip().lower())
    if not m:
        raise UserError(f"`{text}` is not a number.")
    n = int(m.group(1).replace(",", "")) * {"k": 1000, "m": 1_000_000}.get(m.group(2) or "", 1)
    if not 1 <= n <= MAX_COUNT:
        raise UserError(f"`{text}` must be between 1 and {MAX_COUNT:,}.")
    return n


def _window(words: list[str]) -> tuple[int | None, list[str]]:
    """An optional `in <window>` (also `per`/`within`) at the head of words."""
    if len(words) >= 2 and words[0].lower() in ("in", "per", "within"):
        word, rest = _duration_words(words[1:])
        minutes = parse_duration(word)
        if minutes > MAX_WINDOW:
            raise UserError("The window can be at most one week (`1w`); Sentry allows no more.")
        return minutes, rest
    return None, words


def _duration_words(words: list[str]) -> tuple[str, list[str]]:
    """`2h` or `2 hours`: the duration text and what follows it."""
    if len(words) >= 2 and words[0].isdigit() and words[1].lower() in _UNITS:
        return words[0] + words[1], words[2:]
    return words[0], words[1:]


def split_ignore(words: list[str]) -> tuple[Ignore, list[str]]:
    """Read the ignore condition at the head of words; return it and the words left over."""
    if not words:
        return Ignore(), []
    head = words[0].lower()
    if head in ("forever", "indefinitely"):
        return Ignore(until="forever"), words[1:]
    if head == "escalating":
        return Ignore(), words[1:]
    if head == "for" and len(words) >= 2:
        text, rest = _duration_words(words[1:])
        return Ignore(until="duration", minutes=parse_duration(text)), rest
    if head == "until" and len(words) >= 2:
        if words[1].lower() in ("escalating", "escalates"):
            return Ignore(), words[2:]
        if [w.lower() for w in words[1:3]] == ["it", "escalates"]:
            return Ignore(), words[3:]
        count = parse_count(words[1])
        noun = words[2].lower() if len(words) >= 3 else ""
        more = 1 if noun == "more" else 0
        noun = words[2 + more].lower() if len(words) > 2 + more else ""
        if noun in ("event", "events", "occurrence", "occurrences", "times"):
            window, rest = _window(words[3 + more :])
            return Ignore(until="events", count=count, window=window), rest
        if noun in ("user", "users"):
            window, rest = _window(words[3 + more :])
            return Ignore(until="users", count=count, window=window), rest
        raise UserError(f"Until {words[1]} what? Say `until {words[1]} events` or `users`.")
    if _is_duration(head):
        return Ignore(until="duration", minutes=parse_duration(head)), words[1:]
    return Ignore(), words


def _is_duration(word: str) -> bool:
    m = _DURATION.match(word)
    return bool(m and m.group(2) in _UNITS)


def parse_ignore(words: list[str]) -> Ignore:
    """The whole tail of `/dexter ignore <issue> …`."""
    change, rest = split_ignore(words)
    if rest:
        raise UserError(f"I don't understand `{' '.join(rest)}`.")
    return change


def split_resolve(words: list[str]) -> tuple[Resolve, list[str]]:
    """Read `now | next | in <version> | current` at the head of words."""
    if not words:
        return Resolve(), []
    low = [w.lower() for w in words]
    if low[0] == "now":
        return Resolve(), words[1:]
    if low[0] in ("in", "for") and len(words) >= 2:
        skip = 2 if low[1] == "the" and len(words) >= 3 else 1
        word = low[skip]
        after = skip + 1
        if after < len(low) and low[after] == "release":
            after += 1
        if word == "next":
            return Resolve(when="next"), words[after:]
        if word in ("current", "latest"):
            return Resolve(when="current"), words[after:]
        return Resolve(when="release", version=words[1]), words[2:]
    if low[0] in ("next", "next-release"):
        rest = words[2:] if len(low) > 1 and low[1] == "release" else words[1:]
        return Resolve(when="next"), rest
    if low[0] in ("current", "latest"):
        rest = words[2:] if len(low) > 1 and low[1] == "release" else words[1:]
        return Resolve(when="current"), rest
    return Resolve(), words


def parse_resolve(words: list[str]) -> Resolve:
    """The whole tail of `/dexter resolve <issue> …`."""
    change, rest = split_resolve(words)
    if rest:
        raise UserError(f"I don't understand `{' '.join(rest)}`.")
    return change


def parse_assignee(text: str) -> AssigneeSpec:
    """`me`, `<@U123|ann>`, `team:backend`, `#backend`, `ann@acme.io`, `@ann`, `nobody`."""
    raw = text.strip()
    low = raw.lower()
    if low in ("me", "myself", "@me"):
        return AssigneeSpec("me")
    if low in ("nobody", "none", "no-one", "noone"):
        return AssigneeSpec("none")
    if m := _MENTION.match(raw):
        return AssigneeSpec("slack", m.group(1))
    if m := _MAILTO.match(raw):
        return AssigneeSpec("email", m.group(1).lower())
    if low.startswith(("team:", "#")):
        slug = low.split(":", 1)[1] if low.startswith("team:") else low[1:]
        if _SLUG.match(slug):
            return AssigneeSpec("team", slug)
    if _EMAIL.match(raw):
        return AssigneeSpec("email", low)
    if low.startswith("@") and len(low) > 1:
        return AssigneeSpec("name", low[1:])
    raise UserError(
        f"I can't tell who `{raw}` is. Say `me`, mention someone (`@ann`), "
        "give a team (`team:backend`) or a Sentry email."
    )


# ---- button values ----------------------------------------------------------------------


def resolve_choice(choice: str) -> Resolve:
    """A resolve menu choice (`now`, `next`, `current`)."""
    if choice not in ("now", "next", "current"):
        raise UserError(f"Unknown resolve option `{choice}`.")
    return Resolve(when=choice)


def ignore_choice(choice: str) -> Ignore:
    """An ignore menu choice (`escalating`, `for:<minutes>`, `count:<n>`, `forever`)."""
    kind, _, arg = choice.partition(":")
    if kind == "escalating" and not arg:
        return Ignore()
    if kind == "forever" and not arg:
        return Ignore(until="forever")
    if kind == "for" and arg.isdigit() and 0 < int(arg) <= MAX_DURATION:
        return Ignore(until="duration", minutes=int(arg))
    if kind == "count" and arg.isdigit() and 0 < int(arg) <= MAX_COUNT:
        return Ignore(until="events", count=int(arg))
    raise UserError(f"Unknown ignore option `{choice}`.")


# ---- Sentry -----------------------------------------------------------------------------


def to_body(change: Resolve | Unresolve | Ignore | Assign) -> dict[str, Any]:
    """The `PUT …/issues/` body for a change, as Sentry's schema documents it."""
    if isinstance(change, Resolve):
        if change.when == "now":
            return {"status": "resolved", "statusDetails": {}}
        if change.when == "next":
            return {"status": "resolved", "statusDetails": {"inNextRelease": True}}
        if change.when == "current":
            # Sentry picks the project's latest release itself, in its own ordering
            # (src/sentry/api/helpers/group_index/validators/status_details.py
            # validate_inRelease: `latest`), and answers with the version it chose.
            return {"status": "resolved", "statusDetails": {"inRelease": "latest"}}
        if not change.version:
            raise ValueError("resolving in a release needs the version looked up first")
        return {"status": "resolved", "statusDetails": {"inRelease": change.version}}
    if isinstance(change, Unresolve):
        return {"status": "unresolved", "substatus": "ongoing", "statusDetails": {}}
    if isinstance(change, Assign):
        return {"assignedTo": change.assignee}
    details: dict[str, Any] = {}
    substatus = "archived_until_condition_met"
    if change.until == "escalating":
        substatus = "archived_until_escalating"
    elif change.until == "forever":
        substatus = "archived_forever"
    elif change.until == "duration":
        details = {"ignoreDuration": change.minutes}
    elif change.until == "events":
        details = {"ignoreCount": change.count}
        if change.window:
            details["ignoreWindow"] = change.window
    else:
        details = {"ignoreUserCount": change.count}
        if change.window:
            details["ignoreUserWindow"] = change.window
    return {"status": "ignored", "substatus": substatus, "statusDetails": details}
