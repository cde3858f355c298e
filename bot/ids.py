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
    # Release card. Value: the release version.
    RELEASE_CHART = "release_chart"
    OPEN_RELEASE = "open_release"


class Callback(StrEnum):
    """Modal callback ids."""

    RELEASE_CREATE = "release_create"


class BlockId(StrEnum):
    """Block ids of blocks handlers look up."""

    ISSUE_ACTIONS = "issue_actions"
    # Release create modal inputs (each input's action_id is its block_id).
    RELEASE_VERSION = "release_version"
    RELEASE_PROJECTS = "release_projects"
    RELEASE_REFS = "release_refs"
    RELEASE_URL = "release_url"
