"""`/dexter releases`, `release <version>`, `deploys`, the release card's buttons, and the
issue card's suspect release line."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.core import clock, mrkdwn
from bot.core import format as fmt
from bot.core.ids import Action
from bot.deps import Deps
from bot.releases.chart import render_png
from bot.releases.health import percent
from bot.releases.models import Deploy, DeployRecord
from bot.releases.parse import (
    DEPLOYS_USAGE,
    RELEASE_USAGE,
    RELEASES_USAGE,
    Filters,
    parse_deploys,
    parse_release,
    parse_releases,
)
from bot.releases.report import ReleaseCard
from bot.sentry.models import Issue
from bot.slack.card_hooks import CardNote
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext, Interaction, listener

log = logging.getLogger(__name__)

CHART_NOT_POSTED = "I couldn't post the chart here ({error}). Invite me with `/invite @Dexter`."
SUSPECT_NOTE = "Suspect release: *{release}* (first seen in it) · {deploys}"


def _scope(f: Filters) -> str:
    parts = [", ".join(f.projects)] if f.projects else []
    if f.environment:
        parts.append(f"env {f.environment}")
    return " · ".join(parts)


async def releases_command(ctx: CommandContext, args: str) -> None:
    """List the newest releases with health and deploys."""
    f = parse_releases(args)
    rows = await ctx.deps.release_reports.rows(projects=f.projects, environment=f.environment)
    blocks = ctx.deps.renderer.blocks(
        "releases/release_list", rows=rows, scope=_scope(f), now=clock.now(), pct=percent
    )
    await ctx.reply(blocks)


def card_blocks(deps: Deps, card: ReleaseCard) -> list[dict[str, Any]]:
    """The release card with the shared triage controls on each issue row."""
    return deps.renderer.blocks("releases/release_card", card=card, now=clock.now())


async def release_command(ctx: CommandContext, args: str) -> None:
    """Post a release card in the channel."""
    card = await ctx.deps.release_reports.card(parse_release(args))
    blocks = card_blocks(ctx.deps, card)
    await ctx.post(blocks, text=f"Release {card.release.version}")


async def deploys_command(ctx: CommandContext, args: str) -> None:
    """Show a deploy timeline: one release's, one environment's, or the last week's."""
    version, f = parse_deploys(args)
    now = clock.now()
    deps = ctx.deps
    if version:
        release = await deps.releases.get(version)
        records = [
            DeployRecord(release.version, release.label, tuple(release.project_slugs), d)
            for d in await deps.releases.deploys(release.version)
            if f.environment is None or d.environment == f.environment
        ]
        title = " · ".join(filter(None, [release.label, _scope(f)]))
    else:
        days = 30 if f.environment else 7
        records = await deps.releases.deploys_between(
            now - timedelta(days=days),
            now + timedelta(minutes=1),
            f.projects,
            environment=f.environment,
        )
        title = " · ".join(filter(None, [f"last {days} days", _scope(f)]))
    blocks = deps.renderer.blocks(
        "releases/release_deploys", title=title, records=records, now=now, url=deps.releases.web_url
    )
    await ctx.reply(blocks)


async def suspect_release_notes(deps: Deps, issue: Issue) -> list[str]:
    """The card line naming the release an issue first appeared in and when it was deployed."""
    if issue.first_release is None:
        return []
    version = issue.first_release.version
    # The issue detail serializes its first release in full: with at most one deploy the
    # answer is already here (`deployCount`, `lastDeploy`), no deploy list to fetch.
    count, last = issue.first_release.deploy_count, issue.first_release.last_deploy
    if count == 0:
        deploys: list[Deploy] = []
    elif count == 1 and last:
        deploys = [Deploy.model_validate(last)]
    else:
        deploys = await deps.releases.deploys_cached(version)
    first: dict[str, datetime] = {}
    for d in deploys:
        when = d.date_finished or d.date_started
        if when and (d.environment not in first or when < first[d.environment]):
            first[d.environment] = when
    now = clock.now()
    shown = sorted(first.items(), key=lambda kv: kv[1])[:3]
    text = mrkdwn.join(
        ", ", (mrkdwn.format("`{}` {}", env, fmt.reltime(t, now)) for env, t in shown)
    )
    label = issue.first_release.short_version or version
    return [
        mrkdwn.format(
            SUSPECT_NOTE,
            release=fmt.link(deps.releases.web_url(version), label),
            deploys=mrkdwn.format("deployed to {}", text) if text else "no deploys recorded",
        )
    ]


COMMANDS = [
    Subcommand(
        name="releases",
        usage=RELEASES_USAGE,
        summary="The newest releases: new issues, crash-free rates, deploys.",
        example="/dexter releases project:backend env:production",
        handler=releases_command,
        group="Releases",
    ),
    Subcommand(
        name="release",
        usage=RELEASE_USAGE,
        summary="Post a release card: commits, deploys, health, new issues and regressions.",
        example="/dexter release backend@1.6.0",
        handler=release_command,
        group="Releases",
    ),
    Subcommand(
        name="deploys",
        usage=DEPLOYS_USAGE,
        summary="Deploy timeline of a release, an environment, or the last 7 days.",
        example="/dexter deploys env:production",
        handler=deploys_command,
        group="Releases",
    ),
]


def _safe_name(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", version)[:80] or "release"


def card_note(deps: Deps) -> CardNote:
    """The card line naming the issue's first release and its deploys."""

    async def note(issue: Issue) -> list[str]:
        return await suspect_release_notes(deps, issue)

    return note


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the release card's buttons."""

    @app.action(Action.RELEASE_CHART.value)
    @listener(deps, "action")
    async def on_chart(ctx: Interaction) -> None:
        body = ctx.body
        version = str(body["actions"][0].get("value") or "")
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        thread = None if container.get("is_ephemeral") else container.get("message_ts")
        try:
            data = await deps.release_reports.chart(version)
            png = await asyncio.to_thread(render_png, data.title, data.points, data.marks)
            await ctx.client.files_upload_v2(
                channel=channel,
                thread_ts=thread,
                file=png,
                filename=f"release-{_safe_name(version)}.png",
                title=data.title,
            )
        except SlackApiError as exc:
            log.info("chart upload failed: %s", exc.response.get("error"))
            text = CHART_NOT_POSTED.format(error=exc.response.get("error"))
            await ctx.responder(text=text, response_type="ephemeral", replace_original=False)

    @app.action(Action.OPEN_RELEASE.value)
    @listener(deps, "action")
    async def on_open(ctx: Interaction) -> None:
        """A link button still sends an action."""
