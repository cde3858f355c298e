"""Optional self-monitoring: Dexter's own exceptions reported with sentry-sdk, secrets scrubbed."""

from __future__ import annotations

import logging
from typing import Any

from bot.core.logs import redact
from bot.core.settings import Settings

log = logging.getLogger(__name__)


def scrub(value: Any) -> Any:
    """The value with every secret and token-shaped string redacted, recursively."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def before_send(event: Any, _hint: Any) -> Any:
    """sentry-sdk hook: drop request bodies and headers, redact everything else."""
    request = event.get("request") if isinstance(event, dict) else None
    if isinstance(request, dict):
        for name in ("data", "cookies", "headers", "query_string"):
            request.pop(name, None)
    return scrub(event)


def init_self_monitoring(settings: Settings, **options: Any) -> bool:
    """Start sentry-sdk when DEXTER_SENTRY_DSN is set; True when it did."""
    if settings.self_dsn is None:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.self_dsn.get_secret_value(),
        send_default_pii=False,
        traces_sample_rate=0.0,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_breadcrumb=lambda crumb, _hint: scrub(crumb),
        **options,
    )
    log.info("reporting Dexter's own errors to Sentry")
    return True
