"""Every action_id, callback_id and block_id Dexter uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """Block action ids (buttons, menus, selects)."""

    ISSUES_NEXT_PAGE = "issues_next_page"
    OPEN_IN_SENTRY = "open_in_sentry"


class Callback(StrEnum):
    """Modal callback ids."""

    SENTRY_SETUP = "sentry_setup"


class BlockId(StrEnum):
    """Block ids of blocks handlers look up."""

    ISSUE_ACTIONS = "issue_actions"
    SETUP_URL = "setup_url"
    SETUP_ORG = "setup_org"
    SETUP_TOKEN = "setup_token"
