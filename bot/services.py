"""The composition root's second half: what `create_app` builds once the Slack client exists,
before any listener is registered.

Every service a feature shares with another surface, or that runs in the background, is
built here and set on `Deps` as a typed field; `register(app, deps)` in `handlers/` only adds
listeners. Building again (a second app on the same services) replaces each part, so nothing
is doubled.
"""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push.endpoint import AlertRuleEndpoints
from bot.deps import Deps
from bot.digests.feature import DigestFeature, build_digests
from bot.discover.saved_queries import digest_rows
from bot.home.view import Home
from bot.pipeline.front import FrontRules
from bot.releases.watch import ReleaseWatch


def wire(deps: Deps, client: AsyncWebClient) -> None:
    """Build the shared services on the bot's Slack client and set them on `deps`."""
    import handlers  # the Slack side's parts of the card and the command table

    deps.dispatcher = handlers.dispatcher()
    deps.cards = handlers.card_hooks(deps)
    deps.issue_cards = handlers.issue_cards(deps, client)
    deps.front_rules = FrontRules()  # filled as listeners register (inline views, checks)

    # one background timer for every periodic part: started first, stopped last
    timer = deps.timer = AsyncIOScheduler(timezone=UTC)

    async def start_timer() -> None:
        if not timer.running:
            timer.start()

    async def stop_timer() -> None:
        if timer.running:
            timer.shutdown(wait=False)  # AsyncIOScheduler: scheduled on the loop (call_soon)
            await asyncio.sleep(0)  # let it run: stopped once this returns

    deps.lifecycle.add("timer", start_timer, stop_timer)
    rows = digest_rows(deps.saved_queries, deps.discover)
    digests = deps.digest_feature = digests_of(deps, client, saved_queries=rows, timer=timer)
    deps.lifecycle.add("digests", digests.scheduler.start, digests.scheduler.stop)
    deps.home_tab = Home(
        identity=deps.identity,
        issues=deps.issues,
        members=deps.members,
        projects=deps.projects,
        digests=digests.store,
        renderer=deps.renderer,
    )
    watch = release_watch_of(deps, client, interval=deps.settings.release_poll_seconds, timer=timer)
    deps.release_watch = watch
    deps.lifecycle.add("release watch", watch.start, watch.stop)

    action = AlertRuleEndpoints(deps.settings, deps.hook_tenants, deps.tenancy, client)
    deps.web_routes = {"alert_rule_action": action.add_routes}


def digests_of(deps: Deps, client: AsyncWebClient, **options: Any) -> DigestFeature:
    """The digest services on these services (`options`: `saved_queries` and the scheduler's)."""
    options.setdefault("grace", deps.settings.digest_grace)
    options.setdefault("metrics", deps.metrics)
    return build_digests(
        client,
        store=deps.store,
        sentry=deps.sentry,
        projects=deps.projects,
        members=deps.members,
        dashboards=deps.dashboards,
        renderer=deps.renderer,
        tenancy=deps.tenancy,
        **options,
    )


def release_watch_of(deps: Deps, client: AsyncWebClient, **options: Any) -> ReleaseWatch:
    """The release watch on these services (`options`: interval, clock, timer)."""
    return ReleaseWatch(
        client,
        settings=deps.settings,
        store=deps.store,
        sentry=deps.sentry,
        tenancy=deps.tenancy,
        projects=deps.projects,
        releases=deps.releases,
        subs=deps.release_subs,
        reports=deps.release_reports,
        renderer=deps.renderer,
        **options,
    )
