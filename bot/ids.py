"""Every action_id, callback_id and block_id Dexter uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """Block action ids (buttons, menus, selects)."""

    ISSUES_NEXT_PAGE = "issues_next_page"
    OPEN_IN_SENTRY = "open_in_sentry"
    # Discover, performance and replays.
    DISCOVER_NEXT_PAGE = "discover_next_page"
    DISCOVER_CHART = "discover_chart"
    DISCOVER_EXPORT = "discover_export"
    DISCOVER_PROJECTS = "discover_projects"
    REPLAYS_SHOW = "replays_show"


class Callback(StrEnum):
    """Modal callback ids."""

    DISCOVER_BUILDER = "discover_builder"


class BlockId(StrEnum):
    """Block ids of blocks handlers look up."""

    ISSUE_ACTIONS = "issue_actions"
    # The Discover query builder modal's inputs.
    DQ_DATASET = "dq_dataset"
    DQ_FIELDS = "dq_fields"
    DQ_MORE_FIELDS = "dq_more_fields"
    DQ_QUERY = "dq_query"
    DQ_SORT = "dq_sort"
    DQ_PERIOD = "dq_period"
    DQ_PROJECTS = "dq_projects"
    DQ_ENV = "dq_env"
    DQ_OPTIONS = "dq_options"
