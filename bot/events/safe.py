"""Untrusted event text made safe for mrkdwn, and cut to Slack's sizes.

Everything an event carries (titles, values, frames, source lines, breadcrumbs, URLs, tags)
is written by whoever can send events to the project. It goes through `plain` (escaped: no
mention, no link, no entity) or `code`/`fence` (escaped, and with every backtick replaced so
it cannot close the code span or block it sits in). Cutting happens on the escaped text, so an
`&` that grows to `&amp;` cannot push a block past Slack's limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.format import escape

# U+02CB MODIFIER LETTER GRAVE ACCENT: looks like a backtick, is not one to Slack.
BACKTICK_STAND_IN = "ˋ"
_SPACES = re.compile(r"\s+")
FENCE = "```"


def cut(raw: object, limit: int) -> str:
    """Escaped text of at most `limit` characters (ending with an ellipsis when cut)."""
    text = "" if raw is None else str(raw)
    whole = escape(text)
    if len(whole) <= limit:
        return whole
    parts: list[str] = []
    used = 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        parts.append(piece)
        used += len(piece)
    return "".join(parts).rstrip() + "…" if limit > 0 else ""


def plain(raw: object, limit: int) -> str:
    """Escaped text on one line (newlines collapsed), at most `limit` characters; its backticks
    cannot open a code span or block around what follows."""
    return _unticked(cut(_SPACES.sub(" ", "" if raw is None else str(raw)).strip(), limit))


def one_line(raw: object, limit: int) -> str:
    """Text on one line for a plain_text field. Slack does not parse plain_text, but clients
    and fallbacks may reuse it as mrkdwn: angle brackets become look-alikes that cannot form
    a mention or a link, backticks become look-alikes, and `&` stays as typed."""
    text = _SPACES.sub(" ", "" if raw is None else str(raw)).strip()
    text = _unticked(text.replace("<", "‹").replace(">", "›"))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unticked(text: str) -> str:
    return text.replace("`", BACKTICK_STAND_IN)


def code(raw: object, limit: int) -> str:
    """An inline code span of one line, at most `limit` characters with its backticks."""
    inner = _unticked(plain(raw, max(1, limit - 2)))
    return f"`{inner}`" if inner.strip() else "`–`"


def code_line(raw: object, limit: int) -> str:
    """One line for a ``` block: escaped, no backtick, tabs and newlines made spaces."""
    text = "" if raw is None else str(raw).replace("\t", "    ")
    return _unticked(cut(text.replace("\r", " ").replace("\n", " ").rstrip(), limit))


def fence(lines: Iterable[str]) -> str:
    """Lines (already made by `code_line`) in a ``` block."""
    return FENCE + "\n" + "\n".join(lines) + "\n" + FENCE


def fit(lines: Iterable[str], budget: int, *, joiner: str = "\n") -> tuple[list[str], int]:
    """The leading lines whose joined length fits `budget`, and how many were left out."""
    kept: list[str] = []
    used = 0
    pending = list(lines)
    for i, line in enumerate(pending):
        extra = len(line) + (len(joiner) if kept else 0)
        if used + extra > budget:
            return kept, len(pending) - i
        kept.append(line)
        used += extra
    return kept, 0
