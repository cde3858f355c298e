"""User-facing strings of the digest feature that are not in a template. Tests import these."""

from __future__ import annotations

SUBSCRIBED = (
    "Subscribed <#{channel}> to a digest of *{target}*, {schedule}. "
    "Next one {next}. (id `{id}`; `/dexter digest unsubscribe {id}` to stop it)"
)
UNSUBSCRIBED = "Unsubscribed digest `{id}` ({target} in <#{channel}>)."
NO_SUCH_DIGEST = "There is no digest `{id}`. `/dexter digest list` shows the ones here."
NOT_ALLOWED = (
    "Only the digest's owner (<@{owner}>), the channel's manager or a workspace admin "
    "may change digest `{id}`."
)
SENT = "Sent digest `{id}` to <#{channel}>."
CHANNEL_GONE_ON_SUBSCRIBE = (
    "I can't post in <#{channel}> ({error}). Invite me with `/invite @Dexter` "
    "or pick another channel."
)
CHANNEL_ARCHIVED = "<#{channel}> is archived; pick another channel."
UNKNOWN_CHANNEL = "I can't find a channel named `#{name}` that I can see. Pick it from the list."
DISABLED_CHANNEL_GONE = (
    "Your digest `{id}` ({target}) for <#{channel}> is now disabled: {why}. "
    "Subscribe again in another channel with `/dexter digest subscribe`."
)
GONE_REASONS = {
    "is_archived": "the channel was archived",
    "channel_not_found": "the channel no longer exists or I can't see it",
    "not_in_channel": "I was removed from the channel",
}
DIGEST_FAILED = (
    "Your digest `{id}` ({target}) for <#{channel}> could not be sent for {when} after "
    "{attempts} attempts: {why}. The next one is due {next}."
)
