"""Every action_id, callback_id and block_id Dexter uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """Block action ids (buttons, menus, selects)."""

    ISSUES_NEXT_PAGE = "issues_next_page"
    OPEN_IN_SENTRY = "open_in_sentry"
    # Issue card / row actions. Values: see bot/issue_actions.py.
    ISSUE_RESOLVE = "issue_resolve"
    ISSUE_UNRESOLVE = "issue_unresolve"
    ISSUE_IGNORE = "issue_ignore"
    ISSUE_ASSIGN = "issue_assign"
    ISSUE_ASSIGN_ME = "issue_assign_me"
    ISSUE_REFRESH = "issue_refresh"
    # Digests, teams and App Home. Values: the subscription id / the team slug.
    DIGEST_SEND = "digest_send"
    DIGEST_UNSUBSCRIBE = "digest_unsubscribe"
    DIGEST_SUBSCRIBE_TEAM = "digest_subscribe_team"


class Callback(StrEnum):
    """Modal callback ids."""


class BlockId(StrEnum):
    """Block ids of blocks handlers look up."""

    ISSUE_ACTIONS = "issue_actions"
