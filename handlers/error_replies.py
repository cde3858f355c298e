"""One place that turns the error tree into what the user reads."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.core import errors, messages, mrkdwn
from bot.core.logs import correlation_id, redact
from bot.core.metrics import record_outcome
from bot.core.mrkdwn import Mrkdwn, escape

log = logging.getLogger(__name__)

Say = Callable[[str], Awaitable[object]]


def describe(exc: BaseException, *, search: bool = False) -> Mrkdwn:
    """The message a user sees for an exception (unknown ones get a correlation id).

    Error texts echo what the user typed and what Sentry answered: a plain `str` message
    is escaped whole, so only a `Mrkdwn` message (built with `mrkdwn.format`) carries
    mentions or links. Redaction removes text, so the result stays safe."""
    return Mrkdwn(redact(_describe(exc, search=search)))  # Sentry's detail may echo a token


def _describe(exc: BaseException, *, search: bool = False) -> Mrkdwn:
    cid = correlation_id.get()
    fmt = mrkdwn.format
    if isinstance(exc, errors.UserError):
        usage = fmt("\n" + messages.USAGE, usage=exc.usage) if exc.usage else ""
        return mrkdwn.join("", [escape(exc.message), usage])
    if isinstance(exc, errors.NotLinked | errors.PermissionDenied):
        return escape(exc.reason)
    if isinstance(exc, errors.StateUnavailable):
        return fmt(messages.STATE_UNAVAILABLE, cid=cid)
    if isinstance(exc, errors.SlackUnavailable):
        return fmt(messages.SLACK_UNAVAILABLE, cid=cid)
    if isinstance(exc, errors.SentryBadRequest):
        text = fmt(messages.SENTRY_BAD_REQUEST, detail=exc.message)
        return fmt("{}\n{}", text, messages.SEARCH_HINT) if search else text
    if isinstance(exc, errors.SentryNotFound):
        return fmt(messages.SENTRY_NOT_FOUND, detail=exc.message)
    if isinstance(exc, errors.SentryUnauthorized):
        return escape(messages.SENTRY_UNAUTHORIZED)
    if isinstance(exc, errors.SentryForbidden):
        return fmt(messages.SENTRY_FORBIDDEN, detail=exc.message)
    if isinstance(exc, errors.SentryRateLimited):
        return escape(messages.SENTRY_RATE_LIMITED)
    if isinstance(exc, errors.SentryUnavailable):
        return fmt(messages.SENTRY_UNAVAILABLE, cid=cid)
    return fmt(messages.INTERNAL_ERROR, cid=cid)


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
