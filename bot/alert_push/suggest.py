"""Suggested owners on alert cards: the context line and the "Assign to …" buttons.

Button `issue_assign_suggested`: value `<assignee>|<issue id>` with the assignee as Sentry's
`assignedTo` takes it (`user:<id>`, `team:<id>`). The click goes through the same triage path
as every assignment (bot/triage_service.py): the issue is read again, the policy decides.
"""

from __future__ import annotations

from typing import Any

from bot.alert_push import texts
from bot.alert_push.memory import SuggestionNote
from bot.format import escape, truncate
from bot.ids import Action
from bot.sentry.models import Issue

SUGGESTED_ACTIONS = (Action.ISSUE_ASSIGN_SUGGESTED, Action.ISSUE_ASSIGN_SUGGESTED_2)
MAX_BUTTONS = len(SUGGESTED_ACTIONS)  # action ids are unique within the card's actions block


def _why(s: SuggestionNote) -> str:
    if s.why == "owner rule":
        return texts.WHY_RULE.format(
            detail=f"`{escape(truncate(s.detail, 80))}`" if s.detail else ""
        )
    return texts.WHY_COMMIT.format(detail=f"`{escape(truncate(s.detail, 12))}`" if s.detail else "")


def suggestion_line(suggestions: list[SuggestionNote]) -> str:
    """`Suggested: @Ann (owner rule `path:src/pay/*`), @Bob (suspect commit `abc1234`)`."""
    people = ", ".join(f"@{escape(truncate(s.name, 60))} ({_why(s).strip()})" for s in suggestions)
    return texts.SUGGESTED.format(people=people)


def assign_buttons(issue: Issue, suggestions: list[SuggestionNote]) -> list[dict[str, Any]]:
    """One button per suggestion Sentry can assign (it has a user or team id), at most two,
    leaving out whoever the issue is already assigned to."""
    current = (
        f"{issue.assigned_to.type}:{issue.assigned_to.id}"
        if issue.assigned_to is not None
        else None
    )
    out: list[dict[str, Any]] = []
    for s in suggestions:
        if not s.assignee or s.assignee == current:
            continue
        label = texts.ASSIGN_SUGGESTED.format(name=s.name)
        out.append(
            {
                "type": "button",
                "action_id": SUGGESTED_ACTIONS[len(out)].value,
                "text": {"type": "plain_text", "text": truncate(label, 75)},
                "value": f"{s.assignee}|{issue.id}",
            }
        )
        if len(out) == MAX_BUTTONS:
            break
    return out
