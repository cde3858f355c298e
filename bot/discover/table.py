"""Lay Discover rows out as an aligned monospace table that fits Slack's limits (pure)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core import format as fmt
from bot.core.mrkdwn import Mrkdwn
from bot.discover.sentry_api import Column

MAX_COLUMN_WIDTH = 40
MIN_COLUMN_WIDTH = 6
MAX_LINE_WIDTH = 100
SECTION_LIMIT = 3000
MAX_SECTIONS = 8
FENCE = "```"

_DURATION_MS = {
    "nanosecond": 1e-6,
    "microsecond": 1e-3,
    "millisecond": 1.0,
    "second": 1e3,
    "minute": 6e4,
    "hour": 3.6e6,
    "day": 8.64e7,
    "week": 6.048e8,
}
_BYTES = {"bit": 1 / 8, "byte": 1, "kibibyte": 1024, "mebibyte": 1024**2, "gibibyte": 1024**3}
_BYTES |= {"kilobyte": 1e3, "megabyte": 1e6, "gigabyte": 1e9}
NUMERIC = frozenset(
    {"integer", "number", "duration", "percentage", "rate", "size", "percent_change", "score"}
)


def format_duration(ms: float) -> str:
    """340 → `340 ms`, 1234 → `1.23 s`, 150000 → `2.5 min`."""
    a = abs(ms)
    if a == 0:
        return "0 ms"
    if a < 1:
        return f"{ms:.2f} ms"
    if a < 1000:
        return f"{ms:.0f} ms" if a >= 10 else f"{ms:.1f} ms"
    if a < 60_000:
        return f"{ms / 1000:.2f} s" if a < 10_000 else f"{ms / 1000:.1f} s"
    if a < 3_600_000:
        return f"{ms / 60_000:.1f} min"
    if a < 86_400_000:
        return f"{ms / 3_600_000:.1f} h"
    return f"{ms / 86_400_000:.1f} d"


def format_percent(fraction: float) -> str:
    """0.034 → `3.4 %`; tiny but non-zero values show as `<0.1 %`."""
    pct = fraction * 100
    if 0 < abs(pct) < 0.1:
        return "<0.1 %"
    return f"{pct:.1f} %" if abs(pct) < 100 else f"{pct:.0f} %"


def format_size(n: float) -> str:
    """1234567 → `1.2 MB`."""
    for limit, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(n) >= limit:
            return f"{n / limit:.1f} {suffix}"
    return f"{n:.0f} B"


def format_value(value: Any, type_: str = "string", unit: str | None = None) -> str:
    """A cell as people read it: `1.2k`, `340 ms`, `3.4 %`, `12/min`, `2026-11-26 10:36`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, int | float):
        n = float(value)
        if type_ == "duration":
            return format_duration(n * _DURATION_MS.get(unit or "millisecond", 1.0))
        if type_ == "percentage":
            return format_percent(n)
        if type_ == "rate":
            per = "s" if unit == "1/second" else "min"
            return f"{fmt.compact(round(n, 2))}/{per}"
        if type_ == "size":
            return format_size(n * _BYTES.get(unit or "byte", 1))
        if type_ == "number" and abs(n) < 1000 and n != int(n):
            return f"{n:.3g}" if abs(n) < 1 else f"{n:.1f}"
        return fmt.compact(n)
    text = str(value)
    if type_ == "date":
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return text


def char_width(ch: str) -> int:
    """Columns one character takes: 0 for combining marks, 2 for wide CJK/emoji."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns a string takes in a monospace font."""
    return sum(char_width(ch) for ch in text)


def clip(text: str, width: int) -> str:
    """Cut text to a display width, ending with `…` when cut."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, width: int, *, right: bool) -> str:
    """Pad to a display width, right-aligned for numbers."""
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _clean(text: str) -> str:
    # One line per row; a backtick could close the code block early.
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return text.replace("`", "'")


@dataclass(frozen=True, slots=True)
class TableText:
    """The table as code-block section texts, plus how many rows did not fit."""

    sections: list[str]
    shown: int
    hidden: int


def column_widths(header: list[str], cells: list[list[str]], limit: int) -> list[int]:
    """Widths per column: each at most MAX_COLUMN_WIDTH, the line at most `limit` wide."""
    widths = [
        min(MAX_COLUMN_WIDTH, max([display_width(h), *(display_width(r[i]) for r in cells)]))
        for i, h in enumerate(header)
    ]
    while sum(widths) + 2 * (len(widths) - 1) > limit:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= MIN_COLUMN_WIDTH:
            break
        widths[widest] -= 1
    return widths


def layout(
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    *,
    max_width: int = MAX_LINE_WIDTH,
    section_limit: int = SECTION_LIMIT,
    max_sections: int = MAX_SECTIONS,
) -> TableText:
    """Format, align and split rows into ``` sections; rows that do not fit are counted.
    A table too wide to align within max_width is laid out as one record per row."""
    header = [_clean(c.name) for c in columns]
    cells = [[_clean(format_value(r.get(c.name), c.type, c.unit)) for c in columns] for r in rows]
    numeric = [c.type in NUMERIC for c in columns]
    widths = column_widths(header, cells, max_width)
    if sum(widths) + 2 * (len(widths) - 1) > max_width:
        return _pack(
            [],
            [_record(i, header, r, max_width) for i, r in enumerate(cells)],
            section_limit,
            max_sections,
        )

    def line(values: list[str]) -> str:
        parts = [
            pad(clip(v, w), w, right=num) for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return fmt.escape("  ".join(parts).rstrip())

    head = [line(header), fmt.escape("  ".join("─" * w for w in widths))]
    return _pack(head, [line(r) for r in cells], section_limit, max_sections)


def _record(index: int, header: list[str], values: list[str], max_width: int) -> str:
    key_width = min(30, max(display_width(h) for h in header))
    lines = [f"── {index + 1} " + "─" * max(0, min(max_width, 40) - 5 - len(str(index + 1)))]
    for key, value in zip(header, values, strict=True):
        text = clip(value, max(10, max_width - key_width - 2))
        lines.append(f"{pad(clip(key, key_width), key_width, right=False)}  {text}".rstrip())
    return fmt.escape("\n".join(lines))


def _pack(head: list[str], items: list[str], section_limit: int, max_sections: int) -> TableText:
    """Fill ``` sections with the head and then whole items while they fit."""
    budget = section_limit - 2 * len(FENCE) - 2
    sections: list[str] = []
    current = list(head)
    size = sum(len(x) + 1 for x in current)
    shown = 0
    for text in items:
        text = text if len(text) <= budget else text[: budget - 1] + "…"
        if current and size + len(text) + 1 > budget:
            sections.append(_fence(current))
            if len(sections) >= max_sections:
                break
            current, size = [], 0
        current.append(text)
        size += len(text) + 1
        shown += 1
    else:
        if current:
            sections.append(_fence(current))
    return TableText(sections=sections, shown=shown, hidden=len(items) - shown)


def _fence(lines: list[str]) -> Mrkdwn:
    # every line was escaped (`line`, the rule under the header): the block is safe mrkdwn
    return Mrkdwn(FENCE + "\n" + "\n".join(lines) + "\n" + FENCE)
