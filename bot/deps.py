"""The services one process shares between all handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bot.logs import register_secret
from bot.perf import PerfService
from bot.render import Renderer
from bot.saved_queries import SavedQueries
from bot.sentry.client import SentryClient
from bot.sentry.discover import DiscoverService
from bot.sentry.issues import IssueService
from bot.sentry.projects import ProjectService
from bot.sentry.replays import ReplayService
from bot.settings import Settings
from bot.store import Store


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

    async def aclose(self) -> None:
        """Release connections (Sentry pool, Redis)."""
        await self.sentry.aclose()
        await self.store.close()

    # Discover, performance and replays: built on first use from the services above.
    @cached_property
    def discover(self) -> DiscoverService:
        """Discover table and time-series queries."""
        return DiscoverService(self.sentry, self.projects)

    @cached_property
    def perf(self) -> PerfService:
        """Transaction performance from the spans dataset."""
        return PerfService(self.discover)

    @cached_property
    def replays(self) -> ReplayService:
        """Session replay counts and lists."""
        return ReplayService(self.sentry, self.store)

    @cached_property
    def saved_queries(self) -> SavedQueries:
        """Saved Discover queries per workspace."""
        return SavedQueries(self.store)


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
    ):
        if secret is not None:
            register_secret(secret.get_secret_value())
    store = store or await Store.connect(settings.redis_url, settings.data_dir)
    sentry = build_sentry(settings, **client_kwargs)
    projects = ProjectService(sentry, store)
    issues = IssueService(sentry, projects, store)
    return Deps(settings=settings, store=store, sentry=sentry, projects=projects, issues=issues)
