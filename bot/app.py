"""Build the Bolt app: Slack client, middleware, listeners, error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.crypto import SecretBox
from bot.core.logs import new_correlation_id
from bot.core.metrics import Metrics, outcome
from bot.core.settings import Settings
from bot.deps import Deps
from bot.pipeline.envelope import SLACK_KINDS
from bot.pipeline.front import FrontDoor
from bot.pipeline.observe import DexterApp, InstrumentedWebClient, install
from bot.pipeline.service import Pipeline, Role
from bot.pipeline.slack_jobs import SlackJobs, watch_listeners
from bot.services import wire
from bot.slack.directory import SlackDirectory
from bot.slack.manifest import BOT_SCOPES
from bot.slack.oauth_store import RedisInstallationStore, RedisOAuthStateStore
from bot.slack.tokens import BotTokens
from bot.slack.workspace_guard import InstalledWorkspace, WorkspaceGuard
from bot.webhooks.router import WebhookRouter

log = logging.getLogger(__name__)


def slack_client(settings: Settings, metrics: Metrics | None = None) -> AsyncWebClient:
    """The bot's Web API client, retrying Slack 429s and dropped connections."""
    client = InstrumentedWebClient(
        # with OAuth, each request's token comes from the installation store
        token=None if settings.multi_workspace else settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
    client.on_error = metrics.slack_error if metrics else None
    return client


def oauth_settings(settings: Settings, deps: Deps, client: AsyncWebClient) -> AsyncOAuthSettings:
    """Multi-workspace install: Redis stores, token rotation, authorize results cached."""
    assert settings.slack_client_id and settings.slack_client_secret and settings.secret_key
    box = SecretBox(settings.secret_key.get_secret_value())
    installations = RedisInstallationStore(deps.store, box)
    deps.installations = installations
    rotator = AsyncTokenRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        client=AsyncWebClient(base_url=settings.slack_api_url),
    )
    # background jobs (digests, release notices) get their workspace's token here
    deps.tenancy.tokens = BotTokens(deps.store, installations, rotator)
    redirect = (
        f"{settings.public_url.rstrip('/')}/slack/oauth_redirect" if settings.public_url else None
    )
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=BOT_SCOPES,
        user_scopes=[],
        redirect_uri=redirect,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=RedisOAuthStateStore(deps.store),
    )
    # Bolt's default authorize calls auth.test on every request, before the ack; cache it.
    # Expiring tokens are refreshed here and saved back to the store (token rotation).
    oauth.authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=installations,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
    return oauth


def create_app(
    settings: Settings,
    deps: Deps,
    *,
    client: AsyncWebClient | None = None,
    role: Role = "all",
) -> AsyncApp:
    """The AsyncApp with every handler registered (HTTP or Socket Mode alike).

    Its pipeline (`deps.pipeline`) makes the role: `web` acks and enqueues, `worker` runs
    jobs through these same listeners, `all` does both (see bot/pipeline/service.py).
    """
    from handlers import register_all, webhook_handlers

    web = client or slack_client(settings, deps.metrics)
    deps.directory = SlackDirectory(web, deps.store, settings)
    deps.identity.email_lookup = deps.directory.verified_email
    # shared and background services: built once here, before any listener is registered
    wire(deps, web)
    kwargs: dict[str, Any] = {}
    if settings.multi_workspace:
        kwargs["oauth_settings"] = oauth_settings(settings, deps, web)
        kwargs["installation_store_bot_only"] = True
    app = DexterApp(
        metrics=deps.metrics,
        client=web,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=False,
        request_verification_enabled=True,
        **kwargs,
    )
    if deps.pipeline is not None:  # an app built again on the same services replaces it
        deps.metrics.registry.unregister(deps.pipeline.gauges)
        deps.metrics.refreshers.remove(deps.pipeline.gauges.refresh)
    pipeline = deps.pipeline = Pipeline(settings, deps.store, role)
    deps.metrics.registry.register(pipeline.gauges)
    deps.metrics.refreshers.append(pipeline.gauges.refresh)
    front = FrontDoor(app, pipeline, deps.front) if pipeline.takes_requests else None
    guard = None
    if not settings.multi_workspace:
        # one bot token, one workspace: refuse the others (bot/slack/workspace_guard.py)
        installed = InstalledWorkspace(web)
        deps.lifecycle.add("workspace check", installed.start())
        guard = WorkspaceGuard(installed, deps.metrics)
    install(
        app,
        settings=deps.settings,
        store=deps.store,
        tenancy=deps.tenancy,
        dispatcher=deps.dispatcher,
        installations=deps.installations,
        front=front,
        guard=guard,
    )
    # Sentry webhooks: every feature's resource handler, in one table
    deps.webhooks = WebhookRouter(deps.tenancy)
    for resource, handler in webhook_handlers(deps, web).items():
        deps.webhooks.register(resource, handler)
    pipeline.handle("webhook", deps.webhooks.run)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        cid = new_correlation_id()
        outcome.set("error")
        log.error("unhandled error in listener (ref %s)", cid, exc_info=error)

    register_all(app, deps)
    watch_listeners(app)
    jobs = SlackJobs(app, deps.tenancy)
    for kind in SLACK_KINDS:
        pipeline.handle(kind, jobs)
    pipeline.on_dead = jobs.tell_dead
    return app
