"""The triage controls as templates/triage/_controls.j2 draws them, for tests that click them."""

from __future__ import annotations

from typing import Any

from bot.sentry.models import Issue
from bot.slack.mrkdwn_jinja import sink
from bot.slack.render import Renderer

_MACROS = Renderer().env.get_template("triage/_controls.j2").module


def controls(macro: str, issue: Issue, *args: Any) -> list[dict[str, Any]]:
    """The elements a macro (`card_row`, `row`, `row_menu`) draws for the issue."""
    out: list[dict[str, Any]] = []
    getattr(_MACROS, macro)(out, issue, *args)
    result: list[dict[str, Any]] = sink(out)
    return result


def row_actions(issue: Issue) -> list[dict[str, Any]]:
    """The compact row controls of a digest or release card."""
    return controls("row", issue)


def menu_choices(issue: Issue, action_id: str) -> list[str]:
    """The `<choice>` part of every option of a card menu (releases known)."""
    [menu] = [e for e in controls("card_row", issue, True) if e["action_id"] == action_id]
    return [str(o["value"]).rpartition("|")[0] for o in menu["options"]]
