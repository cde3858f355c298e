"""Every action_id, callback_id and block_id Dexter uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """Block action ids (buttons, menus, selects)."""

    ISSUES_NEXT_PAGE = "issues_next_page"
    OPEN_IN_SENTRY = "open_in_sentry"
    # Issue card / row actions. Values: see bot/triage/card_controls.py.
    ISSUE_RESOLVE = "issue_resolve"
    ISSUE_UNRESOLVE = "issue_unresolve"
    ISSUE_IGNORE = "issue_ignore"
    ISSUE_ASSIGN = "issue_assign"
    ISSUE_ASSIGN_ME = "issue_assign_me"
    ISSUE_REFRESH = "issue_refresh"
    # Alert cards: "Assign to <suggested owner>" (value `<assignee>|<issue id>`).
    ISSUE_ASSIGN_SUGGESTED = "issue_assign_suggested"
    ISSUE_ASSIGN_SUGGESTED_2 = "issue_assign_suggested_2"
    ISSUE_COMMENT = "issue_comment"
    # Triage: the `/dexter issues` row menu (value `<verb>|<issue id>`) and bulk confirm.
    ISSUE_ROW_MENU = "issue_row_menu"
    BULK_CONFIRM = "bulk_confirm"
    BULK_CANCEL = "bulk_cancel"
    # Discover, performance and replays.
    DISCOVER_NEXT_PAGE = "discover_next_page"
    DISCOVER_CHART = "discover_chart"
    DISCOVER_EXPORT = "discover_export"
    DISCOVER_PROJECTS = "discover_projects"
    REPLAYS_SHOW = "replays_show"
    # The event view. Values: `<issue id>|<event id, latest, oldest, recommended or tags>`.
    EVENT_SHOW = "event_show"
    EVENT_OLDER = "event_older"
    EVENT_NEWER = "event_newer"
    EVENT_TAGS = "event_tags"
    OPEN_EVENT = "open_event"
    REPLAYS_NEXT_PAGE = "replays_next_page"
    # Release card. Value: the release version.
    RELEASE_CHART = "release_chart"
    OPEN_RELEASE = "open_release"
    # Alert rules: list buttons (value: bot/alerts/sentry_api.py AlertRef) and the modal's Edit
    # button.
    ALERT_ENABLE = "alert_enable"
    ALERT_DISABLE = "alert_disable"
    ALERT_DELETE = "alert_delete"
    ALERTS_PAGE = "alerts_page"
    ALERTS_PREV_PAGE = "alerts_prev_page"
    ALERT_BACK = "alert_back"
    # Digests, teams and App Home. Values: the subscription id / the team slug.
    DIGEST_SEND = "digest_send"
    DIGEST_UNSUBSCRIBE = "digest_unsubscribe"
    DIGEST_SUBSCRIBE_TEAM = "digest_subscribe_team"


class Callback(StrEnum):
    """Modal callback ids."""

    DISCOVER_BUILDER = "discover_builder"
    RELEASE_CREATE = "release_create"
    ALERT_FORM = "alert_form"
    ALERT_CONFIRM = "alert_confirm"
    ALERT_STATUS = "alert_status"
    SENTRY_SETUP = "sentry_setup"
    ISSUE_COMMENT = "issue_comment"


class BlockId(StrEnum):
    """Block ids of blocks handlers look up."""

    ISSUE_ACTIONS = "issue_actions"
    # The issue card's fields: a clicked message holding it is a card
    # (handlers/triage/card_actions.py).
    ISSUE_FIELDS = "issue_fields"
    # The event view's tag fields and the alert status modal's text.
    EVENT_TAGS = "event_tags"
    ALERT_STATUS = "alert_status"
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
    # Release create modal inputs (each input's action_id is its block_id).
    RELEASE_VERSION = "release_version"
    RELEASE_PROJECTS = "release_projects"
    RELEASE_REFS = "release_refs"
    RELEASE_URL = "release_url"
    # The /dexter setup modal's inputs.
    SETUP_URL = "setup_url"
    SETUP_ORG = "setup_org"
    SETUP_TOKEN = "setup_token"
    SETUP_HOOK_SECRET = "setup_hook_secret"
    # The Comment modal's text input.
    COMMENT_TEXT = "comment_text"


class AlertField(StrEnum):
    """Inputs of the alert rule modal: each is the action_id of its element (block ids may
    carry a suffix so Slack forgets a selection whose options changed)."""

    KIND = "alert_kind"
    NAME = "alert_name"
    PROJECT = "alert_project"
    ENVIRONMENT = "alert_environment"
    TRIGGER = "alert_trigger"
    THRESHOLD = "alert_threshold"
    INTERVAL = "alert_interval"
    LEVEL = "alert_level"
    TAG_KEY = "alert_tag_key"
    TAG_VALUE = "alert_tag_value"
    AGE = "alert_age"
    AGE_VALUE = "alert_age_value"
    AGE_UNIT = "alert_age_unit"
    ACTION_INTERVAL = "alert_action_interval"
    DATASET = "alert_dataset"
    METRIC = "alert_metric"
    QUERY = "alert_query"
    WINDOW = "alert_window"
    DIRECTION = "alert_direction"
    CRITICAL = "alert_critical"
    WARNING = "alert_warning"
    RESOLVE = "alert_resolve"
    NOTIFY = "alert_notify"
    CHANNEL = "alert_channel"
    TEAM = "alert_team"
    MEMBER = "alert_member"
