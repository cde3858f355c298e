"""Suggested owners on alert cards: the context line and the "Assign to …" buttons.

Button `issue_assign_suggested`: value `<assignee>|<issue id>` with the assignee as Sentry's
`assignedTo` takes it (`user:<id>`, `team:<id>`). The click goes through the same triage path
as every assignment (bot/triage/service.py): the issue is read again, the policy decides.
"""

from __future__ import annotations

from bot.alert_push import texts
from bot.alert_push.memory import SuggestionNote
from bot.core import mrkdwn
from bot.core.format import truncate
from bot.core.ids import Action
from bot.sentry.models import Issue
from bot.slack.card_hooks import CardButton

SUGGESTED_ACTIONS = (Action.ISSUE_ASSIGN_SUGGESTED, Action.ISSUE_ASSIGN_SUGGESTED_2)
MAX_BUTTONS = len(SUGGESTED_ACTIONS)  # action ids are unique within the card's actions block


def _why(s: SuggestionNote) -> mrkdwn.Mrkdwn:
    if s.why == "owner rule":
        detail = mrkdwn.format("`{}`", truncate(s.detail, 80)) if s.detail else ""
        return mrkdwn.format(texts.WHY_RULE, detail=detail)
    detail = mrkdwn.format("`{}`", truncate(s.detail, 12)) if s.detail else ""
    return mrkdwn.format(texts.WHY_COMMIT, detail=detail)


def suggestion_line(suggestions: list[SuggestionNote]) -> mrkdwn.Mrkdwn:
    """`Suggested: @Ann (owner rule `path:src/pay/*`), @Bob (suspect commit `abc1234`)`."""
    people = mrkdwn.join(
        ", ",
        (
            mrkdwn.format("@{} ({})", truncate(s.name, 60), mrkdwn.Mrkdwn(_why(s).strip()))
            for s in suggestions
        ),
    )
    return mrkdwn.format(texts.SUGGESTED, people=people)


def assign_buttons(issue: Issue, suggestions: list[SuggestionNote]) -> list[CardButton]:
    """One button per suggestion Sentry can assign (it has a user or team id), at most two,
    leaving out whoever the issue is already assigned to."""
    current = (
        f"{issue.assigned_to.type}:{issue.assigned_to.id}"
        if issue.assigned_to is not None
        else None
    )
    out: list[CardButton] = []
    for s in suggestions:
        if not s.assignee or s.assignee == current:
            continue
        label = texts.ASSIGN_SUGGESTED.format(name=s.name)
        out.append(
            CardButton(
                label=truncate(label, 75),
                action_id=SUGGESTED_ACTIONS[len(out)],
                value=f"{s.assignee}|{issue.id}",
            )
        )
        if len(out) == MAX_BUTTONS:
            break
    return out
