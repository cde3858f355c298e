"""Wire the digest services together (store, dashboards, sender, scheduler)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.dashboards.digest import DashboardDigest
from bot.deps import Deps
from bot.digests.dashboard import DigestService, SavedQueryRunner
from bot.digests.scheduler import DigestScheduler
from bot.digests.sender import DigestSender, digest_client
from bot.digests.sentry_api import DigestData
from bot.digests.subscriptions import DigestStore


@dataclass
class DigestFeature:
    """The digest services one process shares."""

    store: DigestStore
    service: DigestService
    sender: DigestSender
    scheduler: DigestScheduler


def build_digests(
    deps: Deps,
    client: AsyncWebClient,
    *,
    saved_queries: SavedQueryRunner | None = None,
    **scheduler_kwargs: Any,
) -> DigestFeature:
    """Build the digest services on the shared Sentry client and Redis store."""
    store = DigestStore(deps.store)
    service = DigestService(
        data=DigestData(deps.sentry),
        projects=deps.projects,
        members=deps.members,
        saved_queries=saved_queries,
        dashboards=DashboardDigest(deps.dashboards),
    )
    sender = DigestSender(digest_client(client), deps.renderer)
    scheduler_kwargs.setdefault("grace", deps.settings.digest_grace)
    scheduler_kwargs.setdefault("metrics", deps.metrics)
    scheduler = DigestScheduler(store=store, service=service, sender=sender, **scheduler_kwargs)
    scheduler.tenant = lambda team_id: deps.tenancy.workspace(team_id)
    return DigestFeature(store=store, service=service, sender=sender, scheduler=scheduler)


def feature(deps: Deps) -> DigestFeature:
    """The digest services the composition root built (bot/services.py)."""
    if deps.digests is None:
        raise RuntimeError("digests are wired by create_app")
    return deps.digests
