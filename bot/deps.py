"""The services one process shares between all handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.logs import register_secret
from bot.metrics import Metrics
from bot.render import Renderer
from bot.sentry.client import SentryClient
from bot.sentry.issues import IssueService
from bot.sentry.projects import ProjectService
from bot.settings import Settings
from bot.store import Store
from bot.workspaces import WorkspaceService


@dataclass
class Deps:
    """Everything a handler may use; built once at start-up."""

    settings: Settings
    store: Store
    sentry: SentryClient
    projects: ProjectService
    issues: IssueService
    renderer: Renderer = field(default_factory=Renderer)
    extras: dict[str, Any] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)
    workspaces: WorkspaceService = field(init=False)

    def __post_init__(self) -> None:
        self.metrics.watch_store(self.store)
        self.metrics.watch_sentry(self.sentry)
        self.workspaces = WorkspaceService(self.settings, self.store, self.sentry, self.metrics)

    async def aclose(self) -> None:
        """Release connections (Sentry pools, Redis)."""
        await self.workspaces.aclose()
        await self.sentry.aclose()
        await self.store.close()


def build_sentry(settings: Settings, **kwargs: Any) -> SentryClient:
    """The process-wide Sentry client for the configured organisation."""
    token = settings.sentry_auth_token.get_secret_value()
    register_secret(token)
    return SentryClient(
        base_url=settings.sentry_base, token=token, org=settings.sentry_org, **kwargs
    )


async def build_deps(
    settings: Settings, *, store: Store | None = None, **client_kwargs: Any
) -> Deps:
    """Connect to Redis (or start the embedded one) and build the services."""
    for secret in (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_client_secret,
        settings.secret_key,
        settings.self_dsn,
    ):
        if secret is not None:
            register_secret(secret.get_secret_value())
    store = store or await Store.connect(settings.redis_url, settings.data_dir)
    sentry = build_sentry(settings, **client_kwargs)
    projects = ProjectService(sentry, store)
    issues = IssueService(sentry, projects, store)
    return Deps(settings=settings, store=store, sentry=sentry, projects=projects, issues=issues)
