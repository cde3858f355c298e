"""`/dexter release create` (command and modal) and `/dexter deploy`: changes need permission."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core import format as fmt
from bot.core import mrkdwn
from bot.core.errors import DexterError, UserError
from bot.core.ids import BlockId, Callback
from bot.deps import Deps
from bot.releases.parse import (
    CREATE_USAGE,
    DEPLOY_USAGE,
    CreateRequest,
    check_projects,
    check_url,
    check_version,
    parse_create,
    parse_deploy,
    parse_ref,
)
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext, Interaction, listener

log = logging.getLogger(__name__)

CREATED = "Created release {release} for {projects}."
EXISTED = "Release {release} already existed; Sentry updated it for {projects}."
ASSOCIATING = " Sentry is associating the commits of {refs}."
DEPLOYED = "Recorded a deploy of {release} to `{env}`{name}."
NOT_IN_RELEASE = "Release `{version}` does not include {projects}; it has {has}."
MODAL_PROJECTS_WAIT = 8.0  # then the open form offers a text field for the projects


def _code_list(items: list[str] | tuple[str, ...]) -> mrkdwn.Mrkdwn:
    return mrkdwn.join(", ", (mrkdwn.format("`{}`", i) for i in items))


async def _allowed(deps: Deps, team_id: str, user_id: str, projects: list[str]) -> None:
    """The user is linked and may manage every one of the projects (else NotLinked/denied)."""
    ident = await deps.identity.require(team_id, user_id)
    for slug in projects:
        await deps.projects.by_slug(slug)  # an unknown project names the closest ones
    await asyncio.gather(*(deps.policy.require(ident, slug) for slug in projects))


async def create_release(deps: Deps, team_id: str, user_id: str, req: CreateRequest) -> str:
    """Check permission, create the release, and say what happened."""
    await _allowed(deps, team_id, user_id, list(req.projects))
    created = await deps.releases.create(req.version, req.projects, refs=req.refs, url=req.url)
    release = created.release
    link = mrkdwn.format("*{}*", fmt.link(deps.releases.web_url(release.version), release.version))
    text = mrkdwn.format(
        EXISTED if created.existed else CREATED,
        release=link,
        projects=_code_list(release.project_slugs or list(req.projects)),
    )
    if req.refs:
        refs = [
            f"{r.repository}@{r.commit[:7]}" + (f" (since {r.previous[:7]})" if r.previous else "")
            for r in req.refs
        ]
        text = mrkdwn.join("", [text, mrkdwn.format(ASSOCIATING, refs=_code_list(refs))])
    log.info("user %s created release %s", user_id, release.version)
    return text


async def create_command(ctx: CommandContext, args: str) -> None:
    """Create a release from the command line, or open the modal without arguments."""
    if not args.strip():
        await open_create_modal(ctx)
        return
    text = await create_release(ctx.deps, ctx.team_id, ctx.user_id, parse_create(args))
    await ctx.reply(text=text)


async def open_create_modal(ctx: CommandContext) -> None:
    """The modal with the same fields as the command: opened at once, filled in after.

    A trigger id lives 3 seconds, so the modal opens as a placeholder before Sentry is
    asked for the projects (as the alert form does).
    """
    deps = ctx.deps
    metadata = json.dumps({"channel": ctx.channel_id})
    view_id = await ctx.open_modal(
        deps.renderer.view(
            "releases/release_create_modal", loading=True, projects=None, metadata=metadata
        )
    )
    if view_id is None:
        return
    slugs: list[str] = []
    try:
        projects = await asyncio.wait_for(deps.projects.all(), MODAL_PROJECTS_WAIT)
        slugs = sorted(p.slug for p in projects)
    except (TimeoutError, DexterError) as exc:
        log.info("release form without project choices: %s", type(exc).__name__)
    view = deps.renderer.view(
        "releases/release_create_modal",
        loading=False,
        projects=slugs if 0 < len(slugs) <= 100 else None,
        metadata=metadata,
    )
    await ctx.client.views_update(view_id=view_id, view=view)


def request_from_view(values: dict[str, Any]) -> tuple[CreateRequest | None, dict[str, str]]:
    """The modal's state as a CreateRequest, or per-field errors for Slack to show."""

    def field(block: BlockId) -> dict[str, Any]:
        return dict((values.get(block.value) or {}).get(block.value) or {})

    errors: dict[str, str] = {}
    version = projects = None
    refs: tuple[Any, ...] = ()
    url = None
    try:
        version = check_version(str(field(BlockId.RELEASE_VERSION).get("value") or ""), "")
    except UserError as exc:
        errors[BlockId.RELEASE_VERSION.value] = exc.message
    chosen = field(BlockId.RELEASE_PROJECTS)
    try:
        if "selected_options" in chosen:
            selected = [o["value"] for o in chosen.get("selected_options") or []]
            projects = check_projects(",".join(selected), "")
        else:
            projects = check_projects(str(chosen.get("value") or ""), "")
    except UserError:
        errors[BlockId.RELEASE_PROJECTS.value] = "Choose at least one project."
    try:
        refs = tuple(
            parse_ref(t) for t in str(field(BlockId.RELEASE_REFS).get("value") or "").split()
        )
        if len({r.repository for r in refs}) != len(refs):
            raise UserError("Give at most one reference per repository.")
    except UserError as exc:
        errors[BlockId.RELEASE_REFS.value] = exc.message
    raw_url = str(field(BlockId.RELEASE_URL).get("value") or "").strip()
    try:
        url = check_url(raw_url, "") if raw_url else None
    except UserError as exc:
        errors[BlockId.RELEASE_URL.value] = exc.message
    if errors or version is None or projects is None:
        return None, errors
    return CreateRequest(version, projects, refs, url), {}


async def deploy_command(ctx: CommandContext, args: str) -> None:
    """Record a deploy of a release to an environment."""
    req = parse_deploy(args)
    deps = ctx.deps
    ident = await deps.identity.require(ctx.team_id, ctx.user_id)
    release = await deps.releases.get(req.version)
    missing = [p for p in req.projects if p not in release.project_slugs]
    if missing:
        raise UserError(
            mrkdwn.format(
                NOT_IN_RELEASE,
                version=release.version,
                projects=_code_list(missing),
                has=_code_list(release.project_slugs) or "no projects",
            ),
            usage=DEPLOY_USAGE,
        )
    covered = list(req.projects or release.project_slugs)
    await asyncio.gather(*(deps.policy.require(ident, slug) for slug in covered))
    deploy = await deps.releases.create_deploy(
        release.version, req.environment, name=req.name, url=req.url, projects=req.projects
    )
    link = mrkdwn.format("*{}*", fmt.link(deps.releases.web_url(release.version), release.label))
    name = mrkdwn.format(" ({})", deploy.name) if deploy.name else ""
    await ctx.reply(
        text=mrkdwn.format(DEPLOYED, release=link, env=fmt.escape(deploy.environment), name=name)
    )


COMMANDS = [
    Subcommand(
        name="release create",
        usage=CREATE_USAGE,
        summary="Create a release and associate commits (no arguments opens a form).",
        example="/dexter release create backend@1.6.0 project:backend "
        "ref:acme/backend@4f2a9c1..e1d0b7a",
        handler=create_command,
        group="Releases",
    ),
    Subcommand(
        name="deploy",
        usage=DEPLOY_USAGE,
        summary="Record a deploy of a release to an environment.",
        example='/dexter deploy backend@1.6.0 production name:"deploy 412"',
        handler=deploy_command,
        group="Releases",
    ),
]


def check_release(view: dict[str, Any]) -> dict[str, str] | None:
    """The modal's field problems (checked at the front door, and again by the listener)."""
    return request_from_view((view.get("state") or {}).get("values") or {})[1] or None


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the create-release modal."""
    deps.front.check_view(Callback.RELEASE_CREATE.value, check_release)

    @app.view(Callback.RELEASE_CREATE.value)
    @listener(deps, "view", ack="handler")
    async def on_submit(ctx: Interaction) -> None:
        assert ctx.ack is not None
        view = ctx.body.get("view") or {}
        req, errors = request_from_view((view.get("state") or {}).get("values") or {})
        if req is None:
            await ctx.ack(response_action="errors", errors=errors)
            return
        await ctx.ack()
        user, client = ctx.user_id, ctx.client
        try:
            channel = str(json.loads(view.get("private_metadata") or "{}").get("channel") or "")
        except ValueError:
            channel = ""
        ctx.answer_channel = channel  # a failure is told there too (or by DM)
        text = await create_release(deps, ctx.team_id, user, req)
        if channel:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
        else:
            await client.chat_postMessage(channel=user, text=text)
