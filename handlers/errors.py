"""One place that turns the error tree into what the user reads."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot import errors, messages
from bot.format import escape
from bot.logs import correlation_id, redact
from bot.metrics import record_outcome

log = logging.getLogger(__name__)

Say = Callable[[str], Awaitable[object]]


def describe(exc: BaseException, *, search: bool = False) -> str:
    """The message a user sees for an exception (unknown ones get a correlation id)."""
    return redact(_describe(exc, search=search))  # Sentry's own detail may echo a token


def _describe(exc: BaseException, *, search: bool = False) -> str:
    cid = correlation_id.get()
    if isinstance(exc, errors.UserError):
        usage = f"\n{messages.USAGE.format(usage=escape(exc.usage))}" if exc.usage else ""
        return f"{exc.message}{usage}"
    if isinstance(exc, errors.NotLinked):
        return exc.reason
    if isinstance(exc, errors.PermissionDenied):
        return exc.reason
    if isinstance(exc, errors.StateUnavailable):
        return messages.STATE_UNAVAILABLE.format(cid=cid)
    if isinstance(exc, errors.SlackUnavailable):
        return messages.SLACK_UNAVAILABLE.format(cid=cid)
    if isinstance(exc, errors.SentryBadRequest):
        text = messages.SENTRY_BAD_REQUEST.format(detail=exc.message)
        return f"{text}\n{messages.SEARCH_HINT}" if search else text
    if isinstance(exc, errors.SentryNotFound):
        return messages.SENTRY_NOT_FOUND.format(detail=exc.message)
    if isinstance(exc, errors.SentryUnauthorized):
        return messages.SENTRY_UNAUTHORIZED
    if isinstance(exc, errors.SentryForbidden):
        return messages.SENTRY_FORBIDDEN.format(detail=exc.message)
    if isinstance(exc, errors.SentryRateLimited):
        return messages.SENTRY_RATE_LIMITED
    if isinstance(exc, errors.SentryUnavailable):
        return messages.SENTRY_UNAVAILABLE.format(cid=cid)
    return messages.INTERNAL_ERROR.format(cid=cid)


async def report(exc: BaseException, say: Say, *, search: bool = False) -> None:
    """Log the failure with the correlation id and tell the user what happened."""
    record_outcome(exc)
    if isinstance(
        exc, errors.SentryUnavailable | errors.StateUnavailable | errors.SlackUnavailable
    ):
        log.warning("%s: %s", type(exc).__name__, exc)
    elif not isinstance(exc, errors.DexterError):
        log.error("unhandled error", exc_info=exc)
    else:
        log.info("%s: %s", type(exc).__name__, exc)
    try:
        await say(describe(exc, search=search))
    except Exception:
        log.exception("could not tell the user about an error")
