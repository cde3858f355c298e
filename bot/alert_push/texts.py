"""What alert delivery says, to Slack users and to Sentry's alert-rule form."""

from __future__ import annotations

ACTION_TITLE = "Post Dexter cards in Slack"
ACTION_DESCRIPTION = "Dexter posts its own issue card, with triage buttons, in the chosen channel."
CHANNEL_LABEL = "Slack channel"

# Answers to Sentry's alert-rule form (shown in Sentry's UI, prefixed with the app's name).
CHANNEL_OK = "Dexter will post in this channel."
CHANNEL_MISSING = "Pick a Slack channel for Dexter to post in."
CHANNEL_NOT_AN_ID = "Pick the channel from the list (a Slack channel id such as C0123ABCD)."
CHANNEL_UNKNOWN = "Dexter cannot see that channel in its Slack workspace."
CHANNEL_ARCHIVED = "That Slack channel is archived."
CHANNEL_NOT_MEMBER = "Invite Dexter to that channel first (/invite @Dexter)."
NO_WORKSPACE = "This Sentry integration is not linked to a Slack workspace in Dexter."
BAD_REQUEST = "Dexter could not read this request."

# On cards and in threads.
ALERT_LINE = ":rotating_light: Alert *{rule}* fired"
FIRED_AGAIN = ":repeat: *{rule}* fired again ({count} times so far)"
SUGGESTED = "Suggested: {people}"
ASSIGN_SUGGESTED = "Assign to {name}"
WHY_RULE = "owner rule {detail}"
WHY_COMMIT = "suspect commit {detail}"

INCIDENT_STATES = {
    "critical": ":red_circle: Critical",
    "warning": ":large_orange_circle: Warning",
    "resolved": ":large_green_circle: Resolved",
}
INCIDENT_THREAD = "{state} · {description}"
INCIDENT_CHART = "{rule}: {aggregate} around its thresholds"
