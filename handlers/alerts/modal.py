"""`/dexter alert create`: the rule modal, opened, redrawn when a choice changes, its options."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push.installation import dexter_installation
from bot.alerts.form import (
    Choice,
    FormMeta,
    Values,
    block_id,
    defaults,
    kind_of,
    normalize,
    notify_choices,
    offers_dexter,
    options,
    read_state,
    visible,
)
from bot.core import errors
from bot.core.ids import AlertField as F
from bot.core.parse import split_args
from bot.deps import Deps
from bot.slack import blocks as block_kit
from bot.slack.command_table import Subcommand
from bot.slack.sealed import seal_model, unseal_model
from handlers.context import CommandContext, Interaction, listener
from handlers.error_replies import describe, report

log = logging.getLogger(__name__)

CREATE_USAGE = "/dexter alert create [issue|metric] [project:<slug>]"
REDRAW_FIELDS = re.compile(r"^alert_(kind|trigger|age|dataset|notify)$")
SEARCH_FIELDS = re.compile(r"^alert_(project|team|member)$")
MAX_OPTIONS = 100


def secret(deps: Deps) -> str:
    """The key the form's private_metadata is sealed with (bot/slack/sealed.py): the metadata
    names the channel the new rule is announced in, so only Dexter's own is taken."""
    return deps.settings.slack_signing_secret.get_secret_value()


def form_view(
    deps: Deps,
    values: Values,
    meta: FormMeta,
    *,
    notices: dict[str, str] | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """The form for the current choices; `notices` show problems under their fields."""
    has_slack = meta.s is not None
    dexter = offers_dexter(meta, values)
    values = normalize(values, has_slack, has_dexter=dexter)
    show = visible(values, has_slack, has_dexter=dexter)
    opts = options(values)
    opts[F.NOTIFY] = notify_choices(kind_of(values), has_slack, has_dexter=dexter)
    shown = set(show)
    extra = [m for f, m in (notices or {}).items() if f not in shown]
    if extra:
        notice = "\n".join(filter(None, [notice, *(f"⚠️ {m}" for m in extra)]))
    return deps.renderer.view(
        "alerts/alert_form",
        v=values,
        show=show,
        opts=opts,
        bid={f: block_id(f, values) for f in show},
        meta=seal_model(secret(deps), meta),
        notices=notices or {},
        notice=notice,
    )


def status_view(
    deps: Deps,
    title: str,
    text: str,
    *,
    note: str | None = None,
    url: str | None = None,
    meta: str = "",
) -> dict[str, Any]:
    """A modal that only says something."""
    return deps.renderer.view(
        "alerts/alert_status", title=title, text=text, note=note, url=url, meta=meta
    )


def parse_create(args: str) -> tuple[str, str | None]:
    """`[issue|metric] [project:<slug>]` → (kind, project slug)."""
    kind = "issue"
    project = None
    for token in split_args(args):
        low = token.lower()
        if low in ("issue", "metric"):
            kind = low
        elif low.startswith("project:") and len(low) > len("project:"):
            project = low.split(":", 1)[1]
        else:
            raise errors.UserError(f"I don't understand `{token}`.", usage=CREATE_USAGE)
    return kind, project


async def create_command(ctx: CommandContext, args: str) -> None:
    """Open the modal at once (the trigger id lasts 3 s), then fill it in."""
    kind, project_slug = parse_create(args)
    deps = ctx.deps
    loading = status_view(deps, "New alert rule", "Loading your projects and Sentry's setup…")
    view_id = await ctx.open_modal(loading)
    if view_id is None:
        return
    try:
        ident = await deps.identity.require(ctx.team_id, ctx.user_id)
        project = await deps.projects.by_slug(project_slug) if project_slug else None
        if project is not None:
            await deps.policy.require(ident, project.slug)
        generation, slack, dexter = await asyncio.gather(
            deps.alert_rules.generation(),
            deps.alert_rules.slack_integration(ctx.team_id),
            dexter_installation(deps.settings, deps.store, deps.sentry),
        )
    except Exception as exc:

        async def show(message: str) -> None:
            view = status_view(deps, "New alert rule", message)
            await ctx.client.views_update(view_id=view_id, view=view)

        await report(exc, show)
        return
    meta = FormMeta(c=ctx.channel_id, t=uuid.uuid4().hex, g=generation, s=slack, d=dexter)
    values = defaults(
        kind,
        project=(project.id, project.slug) if project else None,
        channel_id=ctx.channel_id,
        has_slack=slack is not None,
        has_dexter=offers_dexter(meta, {F.KIND: Choice(kind)}),
    )
    await ctx.client.views_update(view_id=view_id, view=form_view(deps, values, meta))


COMMANDS = [
    Subcommand(
        name="alert create",
        usage=CREATE_USAGE,
        summary="Create an issue or metric alert in a form, with a preview of the last 7 days.",
        example="/dexter alert create metric project:backend",
        handler=create_command,
        aliases=("alert new",),
        group="Alerts",
    ),
]


async def redraw(deps: Deps, client: AsyncWebClient, view: dict[str, Any]) -> None:
    """Show and hide fields for the choices just made."""
    meta = unseal_model(secret(deps), FormMeta, view.get("private_metadata"))
    if meta is None:
        log.info("ignoring a choice in an expired alert form")
        return
    values = read_state(view.get("state") or {})
    try:
        await client.views_update(
            view_id=view["id"], hash=view.get("hash"), view=form_view(deps, values, meta)
        )
    except SlackApiError as exc:  # e.g. hash_conflict: a newer redraw already won
        log.info("alert form not redrawn: %s", exc.response.get("error"))


async def search_options(deps: Deps, field: str, query: str) -> list[tuple[str, str]]:
    """(value, label) pairs for the project, team and member selects."""
    q = query.strip().lower().lstrip("#")
    if field == F.PROJECT:
        items = [(f"{p.id}:{p.slug}", p.slug, p.name) for p in await deps.projects.all()]
    elif field == F.TEAM:
        items = [(f"{t.id}:{t.slug}", f"#{t.slug}", t.name) for t in await deps.members.teams()]
    else:
        items = [
            (m.user_id, f"{m.name or m.email} ({m.email})", m.email)
            for m in await deps.members.members()
            if m.user_id
        ]
    found = [(v, label) for v, label, other in items if q in label.lower() or q in other.lower()]
    return sorted(found, key=lambda x: x[1].lower())[:MAX_OPTIONS]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the form's choices and option searches."""

    @app.action(REDRAW_FIELDS)
    @listener(deps, "action")
    async def on_choice(ctx: Interaction) -> None:
        await redraw(deps, ctx.client, ctx.body["view"])

    @app.options(SEARCH_FIELDS)
    @listener(deps, "options")
    async def on_search(ctx: Interaction) -> None:
        ack, body = ctx.ack, ctx.body
        assert ack is not None
        try:
            found = await search_options(deps, str(body["action_id"]), str(body.get("value", "")))
        except errors.DexterError as exc:
            log.warning("cannot load %s options: %s", body.get("action_id"), describe(exc))
            found = []
        await ack(options=[block_kit.option(label[:75], value[:150]) for value, label in found])
