"""The error tree. Handlers turn every `DexterError` into a clear message for the user.

DexterError
├── UserError            bad input; carries the usage line to show
├── NotLinked            the Slack user has no Sentry identity yet
├── PermissionDenied     linked, but the policy refuses this change
├── StateUnavailable     Redis cannot be reached
├── SlackUnavailable     Slack's Web API could not be asked (so Dexter cannot tell)
└── SentryError          anything that went wrong talking to Sentry
    ├── SentryBadRequest     400: Sentry's own `detail` is kept
    ├── SentryUnauthorized   401: the token is invalid or revoked
    ├── SentryForbidden      403: the token lacks a scope or access
    ├── SentryNotFound       404
    ├── SentryRateLimited    429 after the bounded wait ran out
    └── SentryUnavailable    5xx, timeouts, connection errors, malformed JSON

StartupError (not a DexterError: no user sees it) is what `dexter run` prints as one line
before exiting 1: a port in use, an unusable data directory.
"""

from __future__ import annotations


class DexterError(Exception):
    """Base of every error Dexter knows how to explain to a user."""


class StartupError(Exception):
    """The bot cannot start for a reason the operator must fix; the message says which."""


class UserError(DexterError):
    """Bad input from the user; `usage` is the line that shows the right form."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class NotLinked(DexterError):
    """The Slack user must link a Sentry identity before changing anything."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermissionDenied(DexterError):
    """The permission policy refuses the change; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StateUnavailable(DexterError):
    """Redis is unreachable, so state-changing work cannot run."""


class SlackUnavailable(DexterError):
    """A Slack Web API call Dexter needs an answer from failed (rate limit, outage)."""


class SentryError(DexterError):
    """A Sentry request failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.endpoint = endpoint


class SentryBadRequest(SentryError):
    """Sentry rejected the request (400); `message` is Sentry's own detail."""


class SentryUnauthorized(SentryError):
    """The Sentry token is missing, invalid or revoked (401)."""


class SentryForbidden(SentryError):
    """The Sentry token lacks the scope or access for this (403)."""


class SentryNotFound(SentryError):
    """The Sentry resource does not exist or is not visible (404)."""


class SentryRateLimited(SentryError):
    """Sentry kept answering 429 beyond the bounded wait."""


class SentryUnavailable(SentryError):
    """Sentry is down, slow, unreachable or answered something unreadable."""
