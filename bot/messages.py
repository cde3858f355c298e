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
SETUP_ADMIN_ONLY = (
    "Only a workspace admin (or someone in `DEXTER_ADMINS`) can change Dexter's Sentry settings."
)
SETUP_NEEDS_KEY = (
    "Per-workspace Sentry settings need `DEXTER_SECRET_KEY` (tokens are stored encrypted). "
    "Ask whoever runs Dexter to set it."
)
SETUP_BAD_URL = "Enter an http(s) URL such as https://sentry.io."
SETUP_BAD_ORG = "Enter the organization slug: lower-case letters, digits, - and _."
SETUP_BAD_TOKEN = "Paste the auth token (no spaces)."
