"""The triage controls' value formats, read back by handlers/triage/card_actions.py.

The controls are drawn by templates/triage/_controls.j2 on every surface that shows them
(cards, release cards, digests, issue lists); its header lists the value formats:
- buttons `issue_assign_me`, `issue_unresolve` (labelled Unresolve or Unignore),
  `issue_refresh`, `issue_comment`: value = the issue id;
- menus `issue_resolve`, `issue_ignore`: each option's value = `<choice>|<issue id>`;
  resolve choices: `now`, `next`, `current`;
  ignore choices: `escalating`, `for:<minutes>`, `count:<n>`, `forever`;
- external select `issue_assign`: block_id carries the issue id as `assign|<issue id>`;
  option values are `user:<id>` or `team:<id>`.
"""

from __future__ import annotations


def assign_block_id(issue_id: str) -> str:
    """The block_id of an actions block holding an assign select for this issue."""
    return f"assign|{issue_id}"


def parse_choice(value: str) -> tuple[str, str]:
    """`<choice>|<issue id>` → (choice, issue id)."""
    choice, _, issue_id = value.rpartition("|")
    return choice, issue_id
