"""The few Block Kit pieces Python writes itself: menu options handed to Slack in an options
response, and a one-line context notice.

Everything else is a template (templates/<feature>/*.json.j2). This module is the only place
outside templates that writes a Block Kit `{"type": …}` object
(tests/project/test_block_kit_sources.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.core import mrkdwn

BUTTON_VALUE_MAX = 2000  # Slack's limit on a button's value


def plain_text(text: str) -> dict[str, Any]:
    """A `plain_text` object: Slack shows the text as it is (a `Mrkdwn` is shown as it reads)."""
    return {"type": "plain_text", "text": mrkdwn.plain(text)}


def option(label: str, value: str) -> dict[str, Any]:
    """One option of a select menu (labels: at most 75 characters; values: 150)."""
    return {"text": plain_text(label), "value": value}


def option_group(label: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    """A labelled group of options (an external select's answer)."""
    return {"label": plain_text(label), "options": options}


def context(text: str) -> dict[str, Any]:
    """A context block of one mrkdwn line; a plain `str` is escaped (docs/mrkdwn.md)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn.escape(text)}]}


def page_value(state: BaseModel) -> str | None:
    """A "Next page" button's value: the page state as JSON, or None when it is over Slack's
    limit (a huge query loses paging rather than the page)."""
    value = state.model_dump_json(exclude_defaults=True)
    return value if len(value) <= BUTTON_VALUE_MAX else None
