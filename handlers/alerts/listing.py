"""`/dexter alerts`: the list of alert rules, its pages, Enable/Disable and Delete buttons."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt.async_app import AsyncApp

from bot.alerts.sentry_api import AlertRef, AlertSummary
from bot.core import errors, mrkdwn
from bot.core.ids import Action
from bot.core.parse import split_args
from bot.deps import Deps
from bot.slack.command_table import Subcommand
from bot.slack.identity_links import Identity
from bot.slack.render import fallback_text
from handlers.context import CommandContext, Interaction, listener

log = logging.getLogger(__name__)

ALERTS_USAGE = "/dexter alerts [project:<slug>]"
PAGE_SIZE = 15  # two blocks a rule: a message holds 50
EXPIRED = "That button has expired; run `/dexter alerts` again."
GONE = "That alert rule is no longer in Sentry; run `/dexter alerts` again."
DELETED = "Deleted *{name}*."
ENABLED = "Enabled *{name}*."
DISABLED = "Disabled *{name}*."


class ListState(BaseModel):
    """A pager button's value."""

    f: str | None = None
    pg: int = 1


def parse_project(args: str, usage: str) -> str | None:
    """The `project:<slug>` of a command line; anything else is a mistake."""
    project = None
    for token in split_args(args):
        if token.lower().startswith("project:") and len(token) > len("project:"):
            project = token.split(":", 1)[1].strip().lower()
        else:
            raise errors.UserError(f"I don't understand `{token}`.", usage=usage)
    return project


async def render_list(
    deps: Deps, project: str | None, page: int = 1, *, notice: str | None = None
) -> list[dict[str, Any]]:
    """One page of the organisation's (or a project's) alert rules."""
    rules = await deps.alert_rules.rules(project)
    pages = max(1, -(-len(rules) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = rules[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    refs = {
        r.id: r.ref(filter_project=project, page=page).model_dump_json(exclude_defaults=True)
        for r in shown
    }
    pager: list[tuple[str, str, str]] = []
    if page > 1:
        value = ListState(f=project, pg=page - 1).model_dump_json(exclude_defaults=True)
        pager.append((Action.ALERTS_PREV_PAGE.value, value, "Previous page"))
    if page < pages:
        value = ListState(f=project, pg=page + 1).model_dump_json(exclude_defaults=True)
        pager.append((Action.ALERTS_PAGE.value, value, "Next page"))
    return deps.renderer.blocks(
        "alerts/alert_list",
        rules=shown,
        total=len(rules),
        page=page,
        pages=pages,
        project=project,
        notice=notice,
        refs=refs,
        pager=pager,
    )


async def alerts_command(ctx: CommandContext, args: str) -> None:
    """List alert rules with their controls."""
    project = parse_project(args, ALERTS_USAGE)
    blocks = await render_list(ctx.deps, project)
    await ctx.reply(blocks, text=fallback_text(blocks))


async def require_manager(deps: Deps, team_id: str, user_id: str, rule: AlertSummary) -> Identity:
    """The user's identity when they may change this rule, read from Sentry: every project it
    watches (one Dexter cannot name needs an org-wide role) and its owning team."""
    ident = await deps.identity.require(team_id, user_id)
    projects = [None if p in ("", "?") else p for p in rule.projects]
    await deps.policy.require_rule(ident, projects, rule.owner)
    return ident


async def sentrys_rule(deps: Deps, ref: AlertRef) -> AlertSummary:
    """The rule the button points at, as Sentry has it; UserError when it is gone."""
    try:
        return await deps.alert_rules.read(ref)
    except errors.SentryNotFound:
        raise errors.UserError(GONE) from None


COMMANDS = [
    Subcommand(
        name="alerts",
        usage=ALERTS_USAGE,
        summary="List alert rules (issue and metric) with Enable/Disable and Delete buttons.",
        example="/dexter alerts project:backend",
        handler=alerts_command,
        group="Alerts",
    ),
]


def _ids(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return str(team), str(user.get("id", ""))


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the list's buttons."""

    async def change(ctx: Interaction, *, enable: bool | None) -> None:
        try:
            ref = AlertRef.model_validate_json(ctx.body["actions"][0]["value"])
        except (ValidationError, KeyError, IndexError):
            await ctx.reply(text=EXPIRED)
            return
        team_id, user_id = _ids(ctx.body)
        # The value only points at a rule: who may change it, and what changes with it
        # (its own monitors), is read from Sentry.
        rule = await sentrys_rule(deps, ref)
        await require_manager(deps, team_id, user_id, rule)
        target = rule.ref(filter_project=ref.f, page=ref.pg)
        if enable is None:
            await deps.alert_rules.delete(target)
            notice = mrkdwn.format(DELETED, name=rule.name)
        else:
            await deps.alert_rules.set_enabled(target, enable)
            notice = mrkdwn.format(ENABLED if enable else DISABLED, name=rule.name)
        log.info("alert %s %s by %s", rule.id, notice.split()[0].lower(), user_id)
        blocks = await render_list(deps, ref.f, ref.pg, notice=notice)
        await ctx.replace(blocks, text=notice)

    @app.action(Action.ALERT_ENABLE.value)
    @listener(deps, "action")
    async def on_enable(ctx: Interaction) -> None:
        await change(ctx, enable=True)

    @app.action(Action.ALERT_DISABLE.value)
    @listener(deps, "action")
    async def on_disable(ctx: Interaction) -> None:
        await change(ctx, enable=False)

    @app.action(Action.ALERT_DELETE.value)
    @listener(deps, "action")  # Slack asked "Delete this alert rule?" before sending this
    async def on_delete(ctx: Interaction) -> None:
        await change(ctx, enable=None)

    @listener(deps, "action")
    async def on_page(ctx: Interaction) -> None:
        try:
            state = ListState.model_validate_json(ctx.body["actions"][0]["value"])
        except (ValidationError, KeyError, IndexError):
            await ctx.reply(text=EXPIRED)
            return
        blocks = await render_list(deps, state.f, state.pg)
        await ctx.replace(blocks, text=fallback_text(blocks))

    app.action(Action.ALERTS_PAGE.value)(on_page)
    app.action(Action.ALERTS_PREV_PAGE.value)(on_page)
