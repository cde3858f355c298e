"""The triage controls on issue cards and issue rows (cards, lists, unfurls, digests).

Value formats (one contract for every surface that shows these controls):
- buttons `issue_assign_me`, `issue_unresolve` (labelled Unresolve or Unignore),
  `issue_refresh`, `issue_comment`: value = the issue id;
- menus `issue_resolve`, `issue_ignore`: each option's value = `<choice>|<issue id>`;
  resolve choices: `now`, `next`, `current`;
  ignore choices: `escalating`, `for:<minutes>`, `count:<n>`, `forever`;
- external select `issue_assign`: block_id carries the issue id as `assign|<issue id>`;
  option values are `user:<id>` or `team:<id>`.
"""

from __future__ import annotations

from typing import Any

from bot.core.ids import Action
from bot.sentry.models import Issue

Element = dict[str, Any]

RESOLVE_CHOICES = [
    ("now", "Resolve now"),
    ("next", "In next release"),
    ("current", "In current release"),
]
IGNORE_CHOICES = [
    ("escalating", "Until escalating"),
    ("for:30", "For 30 minutes"),
    ("for:60", "For 1 hour"),
    ("for:1440", "For 24 hours"),
    ("for:10080", "For 1 week"),
    ("count:10", "Until 10 more events"),
    ("count:100", "Until 100 more events"),
    ("count:1000", "Until 1,000 more events"),
    ("forever", "Forever"),
]


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _text(label), "value": value}


def resolve_control(issue: Issue, *, has_releases: bool = True) -> Element:
    """Resolve menu, or an Unresolve button once resolved."""
    if issue.status == "resolved":
        return {
            "type": "button",
            "action_id": Action.ISSUE_UNRESOLVE.value,
            "text": _text("Unresolve"),
            "value": issue.id,
        }
    choices = RESOLVE_CHOICES if has_releases else RESOLVE_CHOICES[:1]
    return {
        "type": "static_select",
        "action_id": Action.ISSUE_RESOLVE.value,
        "placeholder": _text("Resolve"),
        "options": [_option(f"{c}|{issue.id}", label) for c, label in choices],
    }


def ignore_control(issue: Issue) -> Element:
    """Ignore (archive) menu, or an Unignore button (`issue_unresolve`) once ignored."""
    if issue.status == "ignored":
        return {
            "type": "button",
            "action_id": Action.ISSUE_UNRESOLVE.value,
            "text": _text("Unignore"),
            "value": issue.id,
        }
    return {
        "type": "static_select",
        "action_id": Action.ISSUE_IGNORE.value,
        "placeholder": _text("Ignore"),
        "options": [_option(f"{c}|{issue.id}", label) for c, label in IGNORE_CHOICES],
    }


def assign_control(issue: Issue) -> Element:
    """External select searching members and teams (options load)."""
    return {
        "type": "external_select",
        "action_id": Action.ISSUE_ASSIGN.value,
        "placeholder": _text("Assign…"),
        "min_query_length": 0,
    }


def assign_me_button(issue: Issue) -> Element:
    return {
        "type": "button",
        "action_id": Action.ISSUE_ASSIGN_ME.value,
        "text": _text("Assign to me"),
        "value": issue.id,
    }


def refresh_button(issue: Issue) -> Element:
    return {
        "type": "button",
        "action_id": Action.ISSUE_REFRESH.value,
        "text": _text("Refresh"),
        "value": issue.id,
    }


def comment_button(issue: Issue) -> Element:
    return {
        "type": "button",
        "action_id": Action.ISSUE_COMMENT.value,
        "text": _text("Comment"),
        "value": issue.id,
    }


def card_actions(issue: Issue, *, has_releases: bool = True) -> list[Element]:
    """The full control row of an issue card."""
    return [
        resolve_control(issue, has_releases=has_releases),
        ignore_control(issue),
        assign_control(issue),
        assign_me_button(issue),
        comment_button(issue),
        refresh_button(issue),
    ]


def row_actions(issue: Issue) -> list[Element]:
    """The compact controls for an issue row in a digest or list (Assign to me, Resolve, Ignore)."""
    return [assign_me_button(issue), resolve_control(issue), ignore_control(issue)]


def assign_block_id(issue_id: str) -> str:
    """The block_id of an actions block holding an assign select for this issue."""
    return f"assign|{issue_id}"


def parse_choice(value: str) -> tuple[str, str]:
    """`<choice>|<issue id>` → (choice, issue id)."""
    choice, _, issue_id = value.rpartition("|")
    return choice, issue_id
