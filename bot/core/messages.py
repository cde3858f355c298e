"""User-facing strings that are not part of a template. Tests import these."""

from __future__ import annotations

SENTRY_UNAVAILABLE = "Sentry is not answering, try again in a minute. (ref `{cid}`)"
SENTRY_SLOW = "Sentry is slow, still trying…"
INBOX_NEEDS_REVIEW = (
    "`sort:inbox` orders Sentry's review queue, so the search must be "
    "`is:unresolved is:for_review`, e.g. `/dexter issues is:unresolved is:for_review sort:inbox`."
)
SLACK_UNAVAILABLE = (
    "Slack did not answer when Dexter asked about your profile; try again in a minute. "
    "(ref `{cid}`)"
)
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
GROUP_NEEDS_SUB = "`/dexter {group}` needs one of these:"
GROUP_UNKNOWN = "I don't know `/dexter {text}`. `/dexter {group}` takes one of these:"
NOT_IN_CHANNEL = (
    "I can't post in this channel yet. Invite me with `/invite @Dexter`, "
    "or here is the card just for you:"
)
NO_ISSUES = "No issues match `{query}`."
WORKING = "Working on it…"

# The pipeline (bot/pipeline): a queue too deep, a queue unreachable, a job given up.
BUSY_QUEUED = "Busy — your command is queued, {ahead} ahead."
QUEUE_UNAVAILABLE = (
    "Dexter cannot take this right now: its queue (Redis) is unavailable. Try again in a minute."
)
JOB_GAVE_UP = (
    "Dexter could not finish this and gave up after several attempts; part of it may have "
    "been done. (ref `{ref}`)"
)

# Identity and permissions
LINK_NO_EMAIL = "Slack has no email address on your profile that Dexter can read."
LINK_NO_MEMBER = "No member of the Sentry organization `{org}` has the email {email}."
LINKED = "Linked you to Sentry member {name} ({email})."
NOT_LINKED = (
    "You need a linked Sentry account to change things: {why} "
    "Run `/dexter link`, or ask a workspace admin to run `/dexter link @you <sentry-email>`."
)
HOW_TO_LINK = (
    "Run `/dexter link`, or ask a workspace admin to run `/dexter link @you <sentry-email>`."
)
WHOAMI_NOT_LINKED = "Your Slack account is not linked to a Sentry account: {why} " + HOW_TO_LINK
ME_NOT_LINKED = (
    "`{term}` means you in Sentry, and your Slack account is not linked to a Sentry account: "
    "{{why}} " + HOW_TO_LINK
)
DENY_NOT_MEMBER = "Your linked Sentry account ({email}) is no longer a member of the organization."
DENY_ROLE = "Your Sentry role is {role}; only owners, managers and admins may do that."
DENY_TEAM = (
    "Your Sentry role is {role} and you are not in a team that owns `{project}` "
    "(owned by {teams}). Ask someone in those teams or an org admin."
)
LINK_OPTED_OUT = "You unlinked your Sentry account."
LINK_ADMIN_ONLY = (
    "Only Slack workspace admins and owners (or users listed in `DEXTER_ADMINS`) "
    "can link or unlink someone else."
)
LINKED_OTHER = "Linked <@{user}> to Sentry member {name} ({email})."
LINK_KEPT = "{why} You stay linked to {name} ({email})."
UNLINKED = (
    "Unlinked you from Sentry member {email}. Dexter will not link you by email again "
    "until you run `/dexter link`."
)
UNLINKED_OTHER = "Unlinked <@{user}> from Sentry member {email}."
WAS_NOT_LINKED = "There was no link to remove."

# Triage
CHANGED = "{what}: {issue}"
ACTIVITY_LINE = "{what} by <@{user}> · {when}"
ASSIGNEE_NOT_LINKED = (
    "<@{user}> has no linked Sentry account. Assign by their Sentry email instead, "
    "or ask them to run `/dexter link`."
)
UNKNOWN_TEAM = "There is no Sentry team `{slug}` in this organization."
UNKNOWN_EMAIL = "No member of the Sentry organization has the email {email}."
UNKNOWN_NAME = (
    "I can't tell who `@{name}` is. Mention them so Slack autocompletes the name, "
    "or give their Sentry email."
)
NO_RELEASES = (
    "`{project}` has no releases in Sentry yet, so it can't be resolved in {what}. "
    "Resolve it now instead."
)
STALE_BUTTON = "That control is from an old message; run `/dexter issue <id>` for a fresh card."
BULK_TOO_MANY = (
    "More than {cap:,} issues match `{query}`. Narrow the search (add `project:`, `level:` or "
    "`lastSeen:-24h`) and try again."
)
BULK_NONE = "No issues match `{query}`; nothing to change."
BULK_IMPLIED_STATUS = (
    "The search names no status, so only unresolved issues are included "
    "(`is:unresolved`); add `is:ignored` or `is:resolved` to change those."
)
UNKNOWN_RELEASE = (
    "`{project}` has no release `{version}` in Sentry, so nothing can be resolved in it. "
    "Check the version, or resolve in the `next` or `current` release."
)
AMBIGUOUS_RELEASE = "`{version}` could be any of {versions} in `{project}`; give the full version."
BULK_DENIED = "You can't change the issues in {projects}: {reason}"
BULK_EXPIRED = "This preview has expired; run the bulk command again."
BULK_NOT_YOURS = "Only <@{user}>, who asked for this, can confirm it."
BULK_ALREADY = "This change has already been confirmed."
BULK_CANCELLED = "Cancelled; nothing was changed."
BULK_STARTED = "Changing {total:,} issues…"
BULK_PROGRESS = "Changing {total:,} issues… {done:,} done so far."
# Discover, performance and replays.
BUTTON_EXPIRED = "That button has expired; run the query again."
DISCOVER_EMPTY = "No rows match this query."
DISCOVER_BAD_REQUEST = "Sentry did not accept that query: {detail}"
DISCOVER_OFFENDING = "The problem is with `{part}`."
CHART_NEEDS_AGGREGATE = (
    "A chart needs an aggregate such as `count()` or `p95(span.duration)` among the fields."
)
CHART_EMPTY = "Nothing to chart: no data for {what}."
CANNOT_UPLOAD = (
    "I can't upload files to this channel yet. Invite me with `/invite @Dexter` and try again."
)
EXPORT_STARTED = "Exporting CSV… (up to {cap} rows)"
EXPORT_PROGRESS = "Exporting CSV… {rows} rows so far (up to {cap})"
EXPORT_DONE = "Exported {rows} to CSV."
EXPORT_CAPPED = " The export stops at {cap} rows: narrow the query or the period to get the rest."
EXPORT_EMPTY = "Nothing to export: no rows match this query."
SAVE_REFUSED = "Not saved: "
SAVED = "Saved `{name}`: {what}. Run it with `/dexter discover run {name}`."
SAVED_DELETED = "Deleted the saved query `{name}`."
SAVED_NONE = "No saved queries yet. Save one with `/dexter discover save <name> <query>`."
PERF_NO_DATA = "No transactions in the `spans` dataset for the last {period}."
PERF_NO_TRANSACTION = "No transaction named `{name}` in the last {period}."
REPLAYS_NONE = "{issue} has no session replays in the last 90 days."
REPLAY_SEARCH_REFUSED = (
    "Sentry did not accept that replay search: {detail}\n"
    "Replay search takes fields such as `user.email:ada@example.com`, `url:*checkout*`, "
    "`count_errors:>0`, `browser.name:Chrome`, `duration:>5m`. "
    "See https://docs.sentry.io/product/explore/session-replay/"
)

# Alert rules
ALERT_COMPUTING = "Computing the preview… Sentry is taking a moment; this view updates by itself."
ALERT_CHANNEL_UNSEEN = "Dexter cannot see that channel: invite @Dexter to it, or pick another."
ALERT_DUPLICATE = "This rule was already submitted once; it is created only once."
ALERT_SENTRY_REFUSED = "Sentry did not accept the rule: {detail}"
ALERT_EXPIRED = "This form has expired; run `/dexter alert create` again."
ALERT_CREATED = "Created *{name}*. I'm announcing it in <#{channel}>."
SETUP_ADMIN_ONLY = (
    "Only a workspace admin (or someone in `DEXTER_ADMINS`) can change Dexter's Sentry settings."
)
SETUP_NEEDS_KEY = (
    "Per-workspace Sentry settings need `DEXTER_SECRET_KEY` (tokens are stored encrypted). "
    "Ask whoever runs Dexter to set it."
)
SETUP_BAD_URL = "Enter an https:// URL such as https://sentry.io."
SETUP_SINGLE_WORKSPACE = (
    "This Dexter serves one workspace with the Sentry settings it was started with "
    "(`SENTRY_URL`, `SENTRY_ORG`, `SENTRY_AUTH_TOKEN`); ask whoever runs Dexter to change them."
)
# a modal that could not open: a trigger id lives 3 s, and Slack or a busy Dexter was slower
MODAL_NOT_OPENED = "Slack did not let me open the form ({error}); run the command again."
SETUP_TOKEN_REFUSED = "Sentry refused that token (401)."
SETUP_NO_ORG = "Sentry has no organization `{org}` visible to that token (404)."
SETUP_FORBIDDEN = "That token may not read the organization `{org}` (403); give it org:read."
SETUP_REDIRECT = (
    "{url} answered with a redirect. Enter the address Sentry itself is served at "
    "(Dexter does not follow redirects)."
)
SETUP_NOT_SENTRY = "{url} did not answer the way Sentry does for `{org}`; check the URL."
SETUP_STATUS = "{url} answered HTTP {status}; check the URL and try again."
SETUP_UNREACHABLE = "Could not connect securely to {url}; check the URL."
SETUP_TIMEOUT = "{url} did not answer within {seconds:.0f} s."
SETUP_BAD_ORG = "Enter the organization slug: lower-case letters, digits, - and _."
SETUP_BAD_TOKEN = "Paste the auth token (no spaces)."
