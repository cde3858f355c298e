"""User-facing strings that are not part of a template. Tests import these."""

from __future__ import annotations

SENTRY_UNAVAILABLE = "Sentry is not answering, try again in a minute. (ref `{cid}`)"
SENTRY_RATE_LIMITED = "Sentry is rate limiting Dexter right now, try again in a minute."
SENTRY_UNAUTHORIZED = (
    "Dexter's Sentry token was refused (401). An admin should check `SENTRY_AUTH_TOKEN`."
)
SENTRY_FORBIDDEN = "Sentry refused that (403): {detail}"
SENTRY_NOT_FOUND = "Not found in Sentry: {detail}"
SENTRY_BAD_REQUEST = "Sentry did not accept that: {detail}"
SEARCH_HINT = (
    "Check the search syntax, e.g. `is:unresolved level:error project:backend`. "
    "See https://docs.sentry.io/concepts/search/"
)
STATE_UNAVAILABLE = (
    "Dexter's state store is unavailable, so this cannot run right now. (ref `{cid}`)"
)
INTERNAL_ERROR = "Something went wrong on Dexter's side. (ref `{cid}`)"
USAGE = "Usage: `{usage}`"
UNKNOWN_COMMAND = "I don't know `{word}`."
DID_YOU_MEAN = "Did you mean `{suggestion}`?"
NOT_IN_CHANNEL = (
    "I can't post in this channel yet. Invite me with `/invite @Dexter`, "
    "or here is the card just for you:"
)
NO_ISSUES = "No issues match `{query}`."
WORKING = "Working on it…"

# Identity and permissions
LINK_NO_EMAIL = "Slack has no email address on your profile that Dexter can read."
LINK_NO_MEMBER = "No member of the Sentry organization `{org}` has the email {email}."
LINKED = "Linked you to Sentry member {name} ({email})."
NOT_LINKED = (
    "You need a linked Sentry account to change things: {why} "
    "Run `/dexter link`, or ask a workspace admin to run `/dexter link @you <sentry-email>`."
)
DENY_NOT_MEMBER = "Your linked Sentry account ({email}) is no longer a member of the organization."
DENY_ROLE = "Your Sentry role is {role}; only owners, managers and admins may do that."
DENY_TEAM = (
    "Your Sentry role is {role} and you are not in a team that owns `{project}` "
    "(owned by {teams}). Ask someone in those teams or an org admin."
)

# Alert rules
ALERT_COMPUTING = "Computing the preview… Sentry is taking a moment; this view updates by itself."
ALERT_CHANNEL_UNSEEN = "Dexter cannot see that channel: invite @Dexter to it, or pick another."
ALERT_DUPLICATE = "This rule was already submitted once; it is created only once."
ALERT_SENTRY_REFUSED = "Sentry did not accept the rule: {detail}"
ALERT_EXPIRED = "This form has expired; run `/dexter alert create` again."
ALERT_NO_MODAL = "Slack did not let me open the form ({error}); run the command again."
ALERT_CREATED = "Created *{name}*. I'm announcing it in <#{channel}>."
