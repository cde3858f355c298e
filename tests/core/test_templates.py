"""Every template renders to valid Block Kit within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core import format as fmt
from bot.core.ids import Action
from bot.core.parse import IssueSearch
from bot.sentry.models import Event, Issue
from bot.slack.command_table import Dispatcher
from bot.slack.render import BlockKitError, Renderer, validate_blocks
from handlers import commands
from handlers.triage import issues
from tests import factories as f

R = Renderer()
NOW = datetime.now(UTC)


def test_help_renders_from_table() -> None:
    d = Dispatcher([*commands.COMMANDS, *issues.COMMANDS])
    blocks = R.blocks("commands/help", groups=d.groups(), notice="I don't know `x`.")
    assert blocks[0]["text"]["text"] == "I don't know `x`."


def test_issue_list_at_the_limits() -> None:
    huge = [
        Issue.model_validate(
            f.issue(
                i,
                title="<script>&" + "Ü" * 5000,
                assigned={"type": "team", "id": "1", "name": "x" * 500},
            )
        )
        for i in range(10)
    ]
    blocks = R.blocks(
        "triage/issue_list",
        search=IssueSearch(query="q" * 4000),
        issues=huge,
        page=3,
        next_value='{"cursor":"x"}',
        now=NOW,
    )
    assert len(blocks) == 12
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    assert "&lt;script&gt;&amp;" in blocks[1]["text"]["text"]


def test_issue_card_with_everything_and_nothing() -> None:
    full = Issue.model_validate(f.issue(1, culprit="c" * 5000, title="t" * 400))
    ev = Event.model_validate(f.event(1))
    blocks = R.blocks(
        "triage/issue_card",
        issue=full,
        event=ev,
        has_releases=True,
        buttons=[],
        notes=["Resolved by @a"],
        now=NOW,
    )
    assert blocks[0]["text"]["text"].endswith("…") and len(blocks[0]["text"]["text"]) == 150
    assert any(b.get("block_id") == "issue_exception" for b in blocks)
    bare = Issue.model_validate(
        {
            "id": "2",
            "shortId": "X-2",
            "title": "t",
            "project": {"id": "1", "slug": "x"},
            "firstRelease": None,
            "lastSeen": None,
            "stats": None,
            "tags": None,
        }
    )
    blocks = R.blocks(
        "triage/issue_card",
        issue=bare,
        event=None,
        has_releases=False,
        buttons=[],
        notes=[],
        now=NOW,
    )
    assert [b["type"] for b in blocks] == ["header", "section", "section", "actions"]
    # the control row is the card's own; without releases Resolve offers only "now", and
    # without a permalink there is no Open in Sentry button
    ids = [e["action_id"] for e in blocks[-1]["elements"]]
    assert Action.OPEN_IN_SENTRY not in ids and ids[0] == Action.ISSUE_RESOLVE
    assert [o["value"] for o in blocks[-1]["elements"][0]["options"]] == ["now|2"]


def test_validator_enforces_limits_slack_sdk_misses() -> None:
    section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    with pytest.raises(BlockKitError, match="50"):
        validate_blocks([section] * 51)
    with pytest.raises(BlockKitError, match="2000"):
        validate_blocks([{"type": "section", "fields": [{"type": "mrkdwn", "text": "y" * 2001}]}])
    with pytest.raises(BlockKitError):
        validate_blocks(
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "a",
                            "text": {"type": "plain_text", "text": "z" * 76},
                        }
                    ],
                }
            ]
        )
    assert validate_blocks([section] * 50)


def test_formatting_helpers() -> None:
    assert fmt.compact(999) == "999" and fmt.compact(1520) == "1.5k"
    assert fmt.compact(2_000_000) == "2M" and fmt.compact(None) == "–"
    assert fmt.sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert fmt.sparkline([0, 0]) == "▁▁" and fmt.sparkline([]) == ""
    assert fmt.truncate("abcdef", 4) == "abc…" and fmt.truncate("abc", 4) == "abc"
    assert fmt.escape("<a&b>") == "&lt;a&amp;b&gt;"
    from datetime import timedelta

    assert fmt.reltime(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert fmt.reltime(NOW - timedelta(days=3), NOW) == "3d ago"
    assert fmt.reltime(None) == "never"
    assert fmt.link("https://x", "a|b") == "<https://x|a¦b>"
