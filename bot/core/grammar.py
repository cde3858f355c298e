"""Words of the command grammars (pure): tokens, field lists, periods, dates, options."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.core.errors import UserError

_PERIOD = re.compile(r"^(\d+)([a-z]+)$")
_UNITS = {
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "week": "w", "weeks": "w",
}  # fmt: skip
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def period_seconds(period: str) -> int:
    """Seconds in a canonical period such as `24h` or `7d`."""
    m = _PERIOD.match(period)
    if not m or m.group(2) not in _UNIT_SECONDS:
        raise UserError(f"`{period}` is not a period like `24h` or `7d`.")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def describe_period(period: str) -> str:
    """`24h` → `24 hours`, `1d` → `day`."""
    m = _PERIOD.match(period)
    if not m:
        return period
    n, word = int(m.group(1)), _UNIT_WORDS.get(m.group(2), m.group(2))
    return word if n == 1 else f"{n} {word}s"


def tokenize(text: str) -> list[str]:
    """Split on whitespace outside double quotes, parentheses and brackets."""
    tokens: list[str] = []
    buf: list[str] = []
    depth = 0
    quoted = False
    prev = ""
    for ch in text:
        if quoted:
            buf.append(ch)
            if ch == '"' and prev != "\\":
                quoted = False
        elif ch == '"':
            quoted = True
            buf.append(ch)
        elif ch.isspace() and depth == 0:
            if buf:
                tokens.append("".join(buf))
                buf = []
        else:
            if ch in "([":
                depth += 1
            elif ch in ")]" and depth > 0:
                depth -= 1
            buf.append(ch)
        prev = ch
    if buf:
        tokens.append("".join(buf))
    return tokens


def split_fields(text: str) -> list[str]:
    """Split a field list on commas and spaces outside parentheses and brackets
    (an `equation|…` runs to the next comma, since equations contain spaces)."""
    out: list[str] = []
    buf: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        equation = "".join(buf[:9]) == "equation|"
        if depth <= 0 and (ch == "," or (ch.isspace() and not equation)):
            if buf:
                out.append("".join(buf).strip())
                buf = []
            depth = max(depth, 0)
            continue
        if buf or not ch.isspace():
            buf.append(ch)
    if buf:
        out.append("".join(buf).strip())
    return [f for f in out if f]


def normalize_period(words: list[str]) -> tuple[str, int] | None:
    """(`24h`, words used) from `24h`, `24 hours`, `hour`, `week`…; None if not a period."""
    if not words:
        return None
    first = words[0].lower()
    if first in ("month", "30d"):
        return "30d", 1
    m = _PERIOD.match(first)
    if m and m.group(2) in _UNITS:
        return f"{int(m.group(1))}{_UNITS[m.group(2)]}", 1
    if first.isdigit() and len(words) > 1 and words[1].lower() in _UNITS:
        return f"{int(first)}{_UNITS[words[1].lower()]}", 2
    if first.isdigit() and len(words) > 1 and words[1].lower() in ("month", "months"):
        return f"{int(first) * 30}d", 2
    if first in _UNITS and not first[0].isdigit() and len(first) > 1:
        return f"1{_UNITS[first]}", 1
    return None


def parse_datetime(words: list[str], *, end_of_day: bool = False) -> tuple[datetime, int]:
    """A UTC datetime from `2026-11-01`, `2026-11-01T10:00[Z]` or `2026-11-01 10:00`."""
    text, used = words[0], 1
    if len(words) > 1 and _TIME.match(words[1]) and "T" not in text:
        text, used = f"{text}T{words[1]}", 2
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise UserError(
            f"`{text}` is not a date. Use `2026-11-01` or `2026-11-01T10:00`."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if end_of_day and len(text) == 10:
        when += timedelta(days=1)
    return when.astimezone(UTC), used


def option_kind(token: str) -> str | None:
    """`project` or `env` for a `project:`/`env:`/`environment:` token, else None."""
    low = token.lower()
    if low.startswith("project:") and len(token) > len("project:"):
        return "project"
    if low.startswith(("env:", "environment:")) and not token.endswith(":"):
        return "env"
    return None


def take_options(tokens: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Pull `project:` and `env:`/`environment:` tokens out of a token list."""
    rest: list[str] = []
    projects: list[str] = []
    envs: list[str] = []
    for token in tokens:
        kind = option_kind(token)
        if kind == "project":
            projects += [p for p in token.split(":", 1)[1].split(",") if p]
        elif kind == "env":
            envs += [e for e in token.split(":", 1)[1].split(",") if e]
        else:
            rest.append(token)
    return rest, list(dict.fromkeys(projects)), list(dict.fromkeys(envs))
