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
SAVED = "Saved `{name}`: {what}. Run it with `/dexter discover run {name}`."
SAVED_DELETED = "Deleted the saved query `{name}`."
SAVED_NONE = "No saved queries yet. Save one with `/dexter discover save <name> <query>`."
PERF_NO_DATA = "No transactions in the `spans` dataset for the last {period}."
PERF_NO_TRANSACTION = "No transaction named `{name}` in the last {period}."
REPLAYS_NONE = "{issue} has no session replays in the last 90 days."
