"""Wire the digest services together (store, dashboards, sender, scheduler)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.dashboards.digest import DashboardDigest
from bot.digests.dashboard import DigestService, SavedQueryRunner
from bot.digests.scheduler import DigestScheduler
from bot.digests.sender import DigestSender, digest_client
from bot.digests.sentry_api import DigestData
from bot.digests.subscriptions import DigestStore

if TYPE_CHECKING:
    from bot.core.store import Store
    from bot.dashboards.sentry_api import DashboardService
    from bot.sentry.client import SentryClient
    from bot.sentry.members import MemberService
    from bot.sentry.projects import ProjectService
    from bot.slack.render import Renderer
    from bot.slack.tenancy import Tenancy


@dataclass
class DigestFeature:
    """The digest services one process shares."""

    store: DigestStore
    service: DigestService
    sender: DigestSender
    scheduler: DigestScheduler


def build_digests(
    client: AsyncWebClient,
    *,
    store: Store,
    sentry: SentryClient,
    projects: ProjectService,
    members: MemberService,
    dashboards: DashboardService,
    renderer: Renderer,
    tenancy: Tenancy,
    saved_queries: SavedQueryRunner | None = None,
    **scheduler_kwargs: Any,
) -> DigestFeature:
    """Build the digest services on the shared Sentry client and Redis store.

    `scheduler_kwargs` go to `DigestScheduler` (grace, metrics, timer, …); each digest is
    built and sent inside its workspace (`tenancy.workspace`)."""
    subs = DigestStore(store)
    service = DigestService(
        data=DigestData(sentry),
        projects=projects,
        members=members,
        saved_queries=saved_queries,
        dashboards=DashboardDigest(dashboards),
    )
    sender = DigestSender(digest_client(client), renderer)
    scheduler = DigestScheduler(store=subs, service=service, sender=sender, **scheduler_kwargs)
    scheduler.tenant = tenancy.workspace
    return DigestFeature(store=subs, service=service, sender=sender, scheduler=scheduler)
