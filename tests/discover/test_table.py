"""Table layout and number formatting at Slack's limits, and the rendered message."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import messages
from bot.discover.sentry_api import Column
from bot.discover.table import (
    MAX_COLUMN_WIDTH,
    MAX_LINE_WIDTH,
    SECTION_LIMIT,
    display_width,
    format_value,
    layout,
)
from bot.slack.render import Renderer

COLUMNS = [
    Column("title"),
    Column("count()", "integer"),
    Column("p95(span.duration)", "duration", "millisecond"),
    Column("failure_rate()", "percentage"),
]


def rows(n: int, title: str = "ZeroDivisionError: division by zero") -> list[dict[str, Any]]:
    return [
        {
            "title": f"{title} {i}",
            "count()": 1234 * (i + 1),
            "p95(span.duration)": 340.2 + i,
            "failure_rate()": 0.034,
        }
        for i in range(n)
    ]


def lines_of(sections: list[str]) -> list[str]:
    out: list[str] = []
    for s in sections:
        assert s.startswith("```\n") and s.endswith("\n```")
        out += s[4:-4].split("\n")
    return out


@pytest.mark.parametrize(
    ("value", "type_", "unit", "text"),
    [
        (1234, "integer", None, "1.2k"),
        (999, "integer", None, "999"),
        (2_500_000, "integer", None, "2.5M"),
        (340.4, "duration", "millisecond", "340 ms"),
        (1.234, "duration", "second", "1.23 s"),
        (150_000, "duration", "millisecond", "2.5 min"),
        (0.42, "duration", "millisecond", "0.42 ms"),
        (0.034, "percentage", None, "3.4 %"),
        (0.0004, "percentage", None, "<0.1 %"),
        (12.345, "rate", "1/minute", "12.35/min"),
        (1_234_567, "size", "byte", "1.2 MB"),
        (0.12345, "number", None, "0.123"),
        ("2026-11-26T10:36:12+00:00", "date", None, "2026-11-26 10:36"),
        (None, "integer", None, "–"),
        (["a", "b"], "string", None, "a, b"),
        (True, "boolean", None, "yes"),
    ],
)
def test_format_value(value: Any, type_: str, unit: str | None, text: str) -> None:
    assert format_value(value, type_, unit) == text


def test_columns_are_aligned_and_numbers_right_aligned() -> None:
    table = layout(COLUMNS, rows(3))
    lines = lines_of(table.sections)
    header, rule, first = lines[0], lines[1], lines[2]
    assert header.startswith("title")
    assert set(rule.replace(" ", "")) == {"─"}
    assert first.startswith("ZeroDivisionError: division by zero 0")
    assert first.endswith("3.4 %")
    # every row has the same width: columns line up
    assert len({display_width(line) for line in lines[:5]}) == 1
    count_col = header.index("count()")
    assert lines[3][count_col : count_col + len("count()")].strip() == "2.5k"


def test_wide_columns_are_clipped_and_lines_stay_within_the_width() -> None:
    table = layout(COLUMNS, rows(5, title="x" * 500))
    for line in lines_of(table.sections):
        assert display_width(line) <= MAX_LINE_WIDTH
    assert "…" in lines_of(table.sections)[2]


def test_tables_too_wide_to_align_become_one_record_per_row() -> None:
    many = [Column(f"column_{i}_with_a_long_name", "integer") for i in range(20)]
    wide = layout(many, [{c.name: 10**9 * i for c in many} for i in range(30)])
    lines = lines_of(wide.sections)
    assert all(display_width(line) <= MAX_LINE_WIDTH for line in lines)
    assert lines[0].startswith("── 1 ")
    assert lines[1].split() == ["column_0_with_a_long_name", "0"]
    assert lines[22].split() == ["column_0_with_a_long_name", "1B"]
    assert wide.shown + wide.hidden == 30
    assert all(len(s) <= SECTION_LIMIT for s in wide.sections)


def test_unicode_wide_characters_and_control_characters() -> None:
    data = [
        {"title": "注文の処理に失敗しました", "count()": 1},
        {"title": "emoji 🔥 in title", "count()": 22},
        {"title": "line\nbreak\tand `ticks` & <tags>", "count()": 333},
        {"title": "combining é́ marks", "count()": 4},
    ]
    table = layout(COLUMNS[:2], data)
    lines = lines_of(table.sections)
    unescaped = [x.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") for x in lines]
    assert len({display_width(x) for x in unescaped}) == 1, lines
    assert display_width("注文") == 4
    text = "\n".join(lines)
    assert "line break and 'ticks'" in text
    assert "`" not in text and "<tags>" not in text and "&lt;tags&gt;" in text


def test_a_hundred_rows_fit_in_sections_under_slacks_limit() -> None:
    table = layout(COLUMNS, rows(100))
    assert table.shown == 100 and table.hidden == 0
    assert all(len(s) <= SECTION_LIMIT for s in table.sections)
    assert len(lines_of(table.sections)) == 102


def test_rows_beyond_the_section_budget_are_counted_as_hidden() -> None:
    data = rows(400, title="y" * MAX_COLUMN_WIDTH)
    table = layout(COLUMNS, data, max_sections=3)
    assert len(table.sections) == 3
    assert table.shown + table.hidden == 400 and table.hidden > 0
    assert all(len(s) <= SECTION_LIMIT for s in table.sections)


def test_rendered_message_is_valid_block_kit_with_more_rows_note_and_buttons() -> None:
    table = layout(COLUMNS, rows(400, title="z" * 60), max_sections=8)
    blocks = Renderer().blocks(
        "discover/discover_table",
        title="Discover",
        description="count() by title · in errors · last 24 hours",
        page=2,
        table=table,
        rows=400,
        has_more=True,
        next_value='{"q":"x"}',
        chart_value='{"q":"x"}',
        export_value='{"q":"x"}',
        progress=None,
        notes=[],
        empty_text=messages.DISCOVER_EMPTY,
    )
    assert len(blocks) <= 50
    context = " ".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])
    assert f"{table.hidden} more rows not shown here" in context
    assert "more on the next page" in context
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Next page", "Chart", "Export CSV"]
    assert "page 2" in blocks[0]["text"]["text"]


def test_empty_result_says_so_plainly() -> None:
    blocks = Renderer().blocks(
        "discover/discover_table",
        title="Discover",
        description="count()",
        page=1,
        table=layout(COLUMNS, []),
        rows=0,
        has_more=False,
        next_value=None,
        chart_value="v",
        export_value="v",
        progress=None,
        notes=[],
        empty_text=messages.DISCOVER_EMPTY,
    )
    assert blocks[1]["text"]["text"] == messages.DISCOVER_EMPTY
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Chart"]
