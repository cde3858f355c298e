"""`/dexter setup` (per-workspace Sentry settings) and the uninstall events."""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp

from bot.core import errors, messages
from bot.core.ids import BlockId, Callback
from bot.core.logs import register_secret
from bot.deps import Deps
from bot.slack.command_table import Subcommand
from bot.workspaces.sentry_config import WorkspaceSentry, now_iso
from handlers.context import CommandContext, Interaction, listener
from handlers.error_replies import describe, report

log = logging.getLogger(__name__)

SETUP_USAGE = "/dexter setup"
_ORG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def setup_view(deps: Deps, state: str, **ctx: Any) -> dict[str, Any]:
    """The setup modal in one of its states: form, checking, done."""
    base: dict[str, Any] = {
        "url": deps.settings.sentry_base,
        "org": "",
        "error": None,
        "org_name": "",
        "env_org": deps.settings.sentry_org,
    }
    return deps.renderer.view("workspaces/sentry_setup", state=state, **(base | ctx))


async def setup_command(ctx: CommandContext, args: str) -> None:
    """Open the modal that connects this workspace to its own Sentry organisation."""
    deps = ctx.deps
    if not deps.settings.multi_workspace:
        # one workspace: the environment's settings are the only ones used
        raise errors.UserError(messages.SETUP_SINGLE_WORKSPACE)
    if deps.workspaces.box is None:
        raise errors.UserError(messages.SETUP_NEEDS_KEY)
    if not await ctx.is_admin():
        raise errors.PermissionDenied(messages.SETUP_ADMIN_ONLY)
    current = await deps.workspaces.get(ctx.team_id)
    view = setup_view(
        deps,
        "form",
        url=current.base if current else deps.settings.sentry_base,
        org=current.org if current else "",
    )
    await ctx.open_modal(view)


COMMANDS = [
    Subcommand(
        name="setup",
        usage=SETUP_USAGE,
        summary="Connect this workspace to its Sentry organization (workspace admins).",
        example="/dexter setup",
        handler=setup_command,
        group="Admin",
    )
]


def _value(values: dict[str, Any], block: str) -> str:
    element = (values.get(block) or {}).get("value") or {}
    return str(element.get("value") or "").strip()


def parse_submission(view: dict[str, Any]) -> tuple[WorkspaceSentry | None, dict[str, str]]:
    """The settings from the modal, or the per-field errors to show."""
    values = (view.get("state") or {}).get("values") or {}
    url = _value(values, BlockId.SETUP_URL).rstrip("/")
    org = _value(values, BlockId.SETUP_ORG).lower()
    token = _value(values, BlockId.SETUP_TOKEN)
    register_secret(token)
    hook_secret = _value(values, BlockId.SETUP_HOOK_SECRET)
    if hook_secret:
        register_secret(hook_secret)
    problems: dict[str, str] = {}
    if not url.startswith("https://") or len(url) > 300:
        problems[BlockId.SETUP_URL] = messages.SETUP_BAD_URL
    if not _ORG.match(org) or len(org) > 100:
        problems[BlockId.SETUP_ORG] = messages.SETUP_BAD_ORG
    if not token or any(c.isspace() for c in token) or len(token) > 500:
        problems[BlockId.SETUP_TOKEN] = messages.SETUP_BAD_TOKEN
    if hook_secret and (any(c.isspace() for c in hook_secret) or len(hook_secret) > 500):
        problems[BlockId.SETUP_HOOK_SECRET] = messages.SETUP_BAD_TOKEN
    if problems:
        return None, problems
    hook = SecretStr(hook_secret) if hook_secret else None
    return WorkspaceSentry(url=url, org=org, token=SecretStr(token), hook_secret=hook), {}


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the setup modal and for uninstall events."""
    # answers "Checking…" as a response_action update, then the result: in the web role
    deps.front.inline_view(Callback.SENTRY_SETUP.value)

    @app.view(Callback.SENTRY_SETUP.value)
    @listener(deps, "view", ack="handler")
    async def on_setup(ctx: Interaction) -> None:
        assert ctx.ack is not None
        client = ctx.client
        view = ctx.body.get("view") or {}
        cfg, problems = parse_submission(view)
        if cfg is None:
            await ctx.ack(response_action="errors", errors=problems)
            return
        await ctx.ack(response_action="update", view=setup_view(deps, "checking"))
        team_id, user_id = ctx.team_id, ctx.user_id
        view_id = str(view.get("id") or "")
        form = {"url": cfg.base, "org": cfg.org}
        try:
            if not deps.settings.multi_workspace:
                raise errors.UserError(messages.SETUP_SINGLE_WORKSPACE)
            if not await ctx.is_admin():
                raise errors.PermissionDenied(messages.SETUP_ADMIN_ONLY)
            name = await deps.workspaces.verify(cfg)
            cfg.updated_by, cfg.updated_at = user_id, now_iso()
            before = await deps.workspaces.get(team_id)
            if cfg.hook_secret is None and before is not None:
                cfg.hook_secret = before.hook_secret  # left empty: keep the stored one
            env = (deps.settings.sentry_base, deps.settings.sentry_org)
            await deps.workspaces.save(team_id, cfg)
            if ((before.base, before.org) if before else env) != (cfg.base, cfg.org):
                # links name members of the Sentry the workspace used before
                await deps.identity.forget_team(team_id)
        except Exception as exc:  # the modal must never stay at "Checking…"
            await report(exc, _ignore)
            done = setup_view(deps, "form", error=describe(exc), **form)
            await client.views_update(view_id=view_id, view=done)
            return
        log.info("workspace %s connected to sentry org %s", team_id, cfg.org)
        await client.views_update(
            view_id=view_id, view=setup_view(deps, "done", org_name=name, **form)
        )

    @app.event("app_uninstalled")
    @listener(deps, "event")
    async def on_uninstalled(ctx: Interaction) -> None:
        await forget_workspace(app, deps, ctx.body)

    @app.event("tokens_revoked")
    @listener(deps, "event")
    async def on_tokens_revoked(ctx: Interaction) -> None:
        # Only the Slack tokens are gone: the workspace's Sentry settings stay for a
        # reinstall. Only app_uninstalled forgets them.
        body = ctx.body
        tokens = ctx.event.get("tokens") or {}
        store = app.installation_store
        if store is None:
            return
        where = {"enterprise_id": body.get("enterprise_id"), "team_id": body.get("team_id")}
        if tokens.get("bot"):
            await store.async_delete_all(**where)
            log.info("workspace %s revoked the bot token: Slack tokens removed", where["team_id"])
            return
        for user_id in tokens.get("oauth") or []:
            await store.async_delete_installation(**where, user_id=str(user_id))


async def forget_workspace(app: AsyncApp, deps: Deps, body: dict[str, Any]) -> None:
    """Remove a workspace's Slack tokens and Sentry settings (uninstall)."""
    team_id = str(body.get("team_id") or "")
    store = app.installation_store
    if store is not None:
        await store.async_delete_all(enterprise_id=body.get("enterprise_id"), team_id=team_id)
    await deps.workspaces.delete(team_id)
    await deps.identity.forget_team(team_id)
    log.info("workspace %s uninstalled: tokens, settings and links removed", team_id)


async def _ignore(_: str) -> None:
    return None
