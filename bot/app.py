"""Build the Bolt app: Slack client, middleware, listeners, error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.errors import StateUnavailable
from bot.logs import new_correlation_id
from bot.settings import Settings
from bot.slack_directory import SlackDirectory

log = logging.getLogger(__name__)

EVENT_DEDUPE_TTL = 3600.0


def slack_client(settings: Settings) -> AsyncWebClient:
    """The bot's Web API client, retrying Slack 429s and dropped connections."""
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(settings: Settings, deps: Deps, *, client: AsyncWebClient | None = None) -> AsyncApp:
    """The AsyncApp with every handler registered (HTTP or Socket Mode alike)."""
    from handlers import register_all

    client = client or slack_client(settings)
    deps.directory = SlackDirectory(client, deps.store, settings)
    deps.identity.email_lookup = deps.directory.verified_email
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=False,
        request_verification_enabled=True,
    )

    @app.middleware
    async def dedupe_events(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Bolt does not deduplicate Events API retries (X-Slack-Retry-Num): Redis does.
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id:
            try:
                first = await deps.store.first_time(
                    deps.store.key("event", str(event_id)), ttl=EVENT_DEDUPE_TTL
                )
            except StateUnavailable:
                first = True  # better a rare duplicate than a lost event
            if not first:
                log.info("dropping duplicate delivery of event %s", event_id)
                return BoltResponse(status=200, body="")
        await next()
        return None

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        cid = new_correlation_id()
        log.error("unhandled error in listener (ref %s)", cid, exc_info=error)

    register_all(app, deps)
    return app
