"""The one set of Slack errors that mean "this channel is gone for Dexter".

A post, an upload or an update into a channel fails with one of these when the channel was
archived or deleted, or Dexter was removed from it (or never invited): nothing to retry,
and whatever posts there (a digest, a release notice, an alert) should stop or fall back.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# Updating a message also fails when the message itself was deleted.
MESSAGE_GONE = CHANNEL_GONE | {"message_not_found", "cant_update_message"}
# The whole workspace is gone for Dexter (uninstalled, or its token revoked).
WORKSPACE_GONE = frozenset({"account_inactive", "invalid_auth"})


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code of a failed call ("" when it gave none)."""
    return str(exc.response.get("error") or "")


def is_channel_gone(exc: BaseException) -> bool:
    """Whether a Slack call failed because its channel is gone for Dexter."""
    return isinstance(exc, SlackApiError) and slack_error(exc) in CHANNEL_GONE
