"""The Discover query builder modal: open it, load project options, run what it submits."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import errors
from bot.core.grammar import split_fields
from bot.core.ids import Action, BlockId, Callback
from bot.deps import Deps
from bot.discover.parse import DATASETS, DiscoverCommand, build_query
from bot.pipeline.slack_effects import OnceRespond
from bot.slack import blocks as block_kit
from bot.slack.sealed import seal_model, unseal_model
from handlers.context import CommandContext, Interaction, listener
from handlers.discover.run import run
from handlers.error_replies import report

log = logging.getLogger(__name__)

FIELD_GROUPS = [
    (
        "Common",
        ["count()", "count_unique(user)", "project", "environment", "release", "timestamp"],
    ),
    (
        "Errors",
        ["title", "issue", "level", "message", "user.email", "url", "last_seen()"],
    ),
    (
        "Spans (performance)",
        [
            "transaction",
            "span.op",
            "span.description",
            "span.duration",
            "epm()",
            "p50(span.duration)",
            "p75(span.duration)",
            "p95(span.duration)",
            "p99(span.duration)",
            "avg(span.duration)",
            "sum(span.duration)",
            "failure_rate()",
        ],
    ),
    ("Logs", ["severity", "count_unique(trace)"]),
]
PERIODS = [
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("14d", "Last 14 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
]
MAX_PROJECT_OPTIONS = 100
FORM_EXPIRED = "That Discover form has expired; run `/dexter discover` again."


def _secret(deps: Deps) -> str:
    return deps.settings.slack_signing_secret.get_secret_value()


class BuilderMeta(BaseModel):
    """Where the command was run: the builder's answer goes there (sealed, bot/slack/sealed.py)."""

    channel: str = ""
    response_url: str = ""


async def open_builder(ctx: CommandContext) -> None:
    """Open the modal; the channel and response_url travel sealed in private_metadata."""
    where = BuilderMeta(channel=ctx.channel_id, response_url=ctx.body.get("response_url", ""))
    metadata = seal_model(_secret(ctx.deps), where)
    view = ctx.deps.renderer.view(
        "discover/discover_modal",
        datasets=DATASETS[:3],
        field_groups=FIELD_GROUPS,
        periods=PERIODS,
        metadata=metadata,
    )
    await ctx.open_modal(view)


def _value(values: dict[str, Any], block: BlockId, action: str = "value") -> dict[str, Any]:
    return (values.get(block.value) or {}).get(action) or {}


def command_from_view(values: dict[str, Any]) -> DiscoverCommand:
    """The command a submitted builder describes (UserError when it is not valid)."""
    picked = [o["value"] for o in _value(values, BlockId.DQ_FIELDS).get("selected_options") or []]
    more = split_fields(_value(values, BlockId.DQ_MORE_FIELDS).get("value") or "")
    projects = _value(values, BlockId.DQ_PROJECTS, Action.DISCOVER_PROJECTS.value)
    options = {o["value"] for o in _value(values, BlockId.DQ_OPTIONS).get("selected_options") or []}
    env = (_value(values, BlockId.DQ_ENV).get("value") or "").strip()
    query = build_query(
        fields=picked + more,
        query=_value(values, BlockId.DQ_QUERY).get("value") or "",
        sort=_value(values, BlockId.DQ_SORT).get("value") or None,
        period=(_value(values, BlockId.DQ_PERIOD).get("selected_option") or {}).get("value"),
        dataset=(_value(values, BlockId.DQ_DATASET).get("selected_option") or {}).get(
            "value", "errors"
        ),
        projects=[o["value"] for o in projects.get("selected_options") or []],
        environments=[e.strip() for e in env.split(",") if e.strip()],
    )
    return DiscoverCommand(query=query, chart="chart" in options, public="public" in options)


def error_block(message: str) -> str:
    """The modal input a validation message belongs under."""
    low = message.lower()
    if "sort" in low:
        return BlockId.DQ_SORT.value
    if "period" in low or "90 days" in low:
        return BlockId.DQ_PERIOD.value
    return BlockId.DQ_MORE_FIELDS.value


def check_builder(view: dict[str, Any]) -> dict[str, str] | None:
    """The builder's field problems (checked at the front door, and again by the listener)."""
    try:
        command_from_view((view.get("state") or {}).get("values") or {})
    except errors.UserError as exc:
        return {error_block(exc.message): exc.message}
    return None


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the builder's submission and its project search."""
    deps.front.check_view(Callback.DISCOVER_BUILDER.value, check_builder)

    @app.options(Action.DISCOVER_PROJECTS.value)
    @listener(deps, "options")
    async def on_projects(ctx: Interaction) -> None:
        ack = ctx.ack
        assert ack is not None
        typed = str(ctx.body.get("value") or "").strip().lower()
        try:
            projects = await deps.projects.all()
        except errors.DexterError as exc:
            log.warning("project options unavailable: %s", exc)
            await ack(options=[])
            return
        matches = [p for p in projects if typed in p.slug.lower() or typed in p.name.lower()]
        await ack(
            options=[block_kit.option(p.slug[:75], p.slug) for p in matches[:MAX_PROJECT_OPTIONS]]
        )

    @app.view(Callback.DISCOVER_BUILDER.value)
    @listener(deps, "view", ack="handler")
    async def on_submit(submitted: Interaction) -> None:
        ack, body, client = submitted.ack, submitted.body, submitted.client
        assert ack is not None
        view = body.get("view") or {}
        try:
            cmd = command_from_view((view.get("state") or {}).get("values") or {})
        except errors.UserError as exc:
            await ack(response_action="errors", errors={error_block(exc.message): exc.message})
            return
        await ack()
        user = body.get("user") or {}
        # Where to answer is Dexter's own sealed record of the command, or nothing: a
        # metadata that is not could name any channel, or any URL to POST the results to.
        meta = unseal_model(_secret(deps), BuilderMeta, view.get("private_metadata"))
        if meta is None:
            log.info("discover builder submitted without Dexter's seal; not run")
            await client.chat_postMessage(channel=str(user.get("id", "")), text=FORM_EXPIRED)
            return
        ctx = CommandContext(
            deps=deps,
            body={
                "user_id": user.get("id", ""),
                "channel_id": meta.channel,
                "team_id": (body.get("team") or {}).get("id", "") or user.get("team_id", ""),
            },
            respond=OnceRespond(response_url=meta.response_url or None),
            client=client,
        )
        post = cmd.public or not meta.response_url
        try:
            await run(ctx, cmd, post=post)
        except Exception as exc:
            await report(exc, lambda m: _tell(client, ctx, m))


async def _tell(client: AsyncWebClient, ctx: CommandContext, text: str) -> None:
    if ctx.body.get("channel_id"):
        await client.chat_postEphemeral(channel=ctx.channel_id, user=ctx.user_id, text=text)
