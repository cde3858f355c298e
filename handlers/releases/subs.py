"""`/dexter subscribe releases`, `/dexter subscriptions`, `/dexter unsubscribe <id>`."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.core import format as fmt
from bot.core import mrkdwn
from bot.core.errors import PermissionDenied, UserError
from bot.core.parse import split_args
from bot.releases.parse import SUBSCRIBE_USAGE, UNSUBSCRIBE_USAGE, parse_subscribe
from bot.slack.channel_rights import may_manage
from bot.slack.command_table import Subcommand
from bot.webhooks.issue_subs import IssueSubscriptions
from handlers.context import CommandContext

log = logging.getLogger(__name__)

SUBSCRIBED = (
    "<@{user}> subscribed this channel to new releases and deploys of `{what}` "
    "(subscription `{id}`); an hour after each deploy a health check follows in its thread."
)
ALREADY = "This channel is already subscribed to `{what}` (subscription `{id}`)."
INVITE_HINT = " Make sure Dexter is in this channel: `/invite @Dexter`."
UNSUBSCRIBED = "Removed subscription `{id}` (`{what}`) from this channel."
NOT_ALLOWED = (
    "Only whoever added subscription `{id}`{owner}, the channel's manager or a "
    "workspace admin may remove it."
)
OWNER = " (<@{user}>)"
NO_SUCH_SUB = "This channel has no subscription `{id}`. See `/dexter subscriptions`."


async def subscribe_command(ctx: CommandContext, args: str) -> None:
    """Subscribe the channel to a project's releases and deploys."""
    f = parse_subscribe(args)
    project = await ctx.deps.projects.by_slug(f.projects[0])
    subs = ctx.deps.release_subs
    sub, created = await subs.add(
        ctx.channel_id, project.slug, f.environment, user=ctx.user_id, team_id=ctx.team_id
    )
    what = fmt.escape(sub.describe())
    if created:
        await ctx.reply(
            text=mrkdwn.format(SUBSCRIBED + INVITE_HINT, user=ctx.user_id, what=what, id=sub.id),
            public=True,
        )
    else:
        await ctx.reply(text=mrkdwn.format(ALREADY, what=what, id=sub.id))


async def subscriptions_command(ctx: CommandContext, args: str) -> None:
    """List this channel's subscriptions (releases and new issues)."""
    subs = await ctx.deps.release_subs.for_channel(ctx.channel_id, team_id=ctx.team_id)
    issue_subs = await IssueSubscriptions(ctx.deps.store).for_channel(
        ctx.channel_id, team_id=ctx.team_id
    )
    blocks = ctx.deps.renderer.blocks(
        "releases/release_subscriptions", subs=subs, issue_subs=issue_subs, notice=None
    )
    await ctx.reply(blocks)


async def unsubscribe_command(ctx: CommandContext, args: str) -> None:
    """Remove one of this channel's subscriptions."""
    words = split_args(args)
    if len(words) != 1:
        raise UserError("Which subscription?", usage=UNSUBSCRIBE_USAGE)
    sub_id = words[0].strip().lower()
    if sub_id.startswith("i"):  # bot/webhooks/issue_subs.py: `i<n>`
        await _remove(ctx, IssueSubscriptions(ctx.deps.store), sub_id, "issue", sub_id[:20])
        return
    store = ctx.deps.release_subs
    await _remove(ctx, store, sub_id, "release", fmt.escape(words[0][:20]))


class _Sub(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def team_id(self) -> str: ...
    @property
    def created_by(self) -> str: ...
    def describe(self) -> str: ...


class _Subs(Protocol):
    async def get(self, sub_id: str) -> _Sub | None: ...
    async def remove(self, sub_id: str, channel: str) -> _Sub | None: ...


async def _remove(ctx: CommandContext, subs: _Subs, sub_id: str, kind: str, shown: str) -> None:
    """Remove one of this channel's subscriptions (releases or new issues, the same rights)."""
    sub = await subs.get(sub_id)
    if sub is None or sub.channel != ctx.channel_id or sub.team_id not in ("", ctx.team_id):
        raise UserError(mrkdwn.format(NO_SUCH_SUB, id=shown), usage=UNSUBSCRIBE_USAGE)
    allowed = await may_manage(
        ctx.deps.slack_users,
        ctx.client,
        team_id=ctx.team_id,
        user_id=ctx.user_id,
        owner_id=sub.created_by,
        channel_id=sub.channel,
    )
    if not allowed:
        log.info("%s subscription %s: removal by %s refused", kind, sub.id, ctx.user_id)
        owner = mrkdwn.format(OWNER, user=sub.created_by) if sub.created_by else ""
        raise PermissionDenied(mrkdwn.format(NOT_ALLOWED, id=sub.id, owner=owner))
    removed = await subs.remove(sub.id, ctx.channel_id)
    if removed is None:  # removed meanwhile
        raise UserError(NO_SUCH_SUB.format(id=sub.id), usage=UNSUBSCRIBE_USAGE)
    log.info("%s subscription %s removed by %s", kind, removed.id, ctx.user_id)
    await ctx.reply(text=mrkdwn.format(UNSUBSCRIBED, id=removed.id, what=removed.describe()))


COMMANDS = [
    Subcommand(
        name="subscribe releases",
        usage=SUBSCRIBE_USAGE,
        summary="Announce a project's new releases and deploys here, with a health check "
        "an hour after each deploy.",
        example="/dexter subscribe releases project:backend env:production",
        handler=subscribe_command,
        group="Releases",
    ),
    Subcommand(
        name="subscriptions",
        usage="/dexter subscriptions",
        summary="List this channel's subscriptions.",
        example="/dexter subscriptions",
        handler=subscriptions_command,
        group="Releases",
    ),
    Subcommand(
        name="unsubscribe",
        usage=UNSUBSCRIBE_USAGE,
        summary="Remove one of this channel's subscriptions (whoever added it, the "
        "channel's manager or an admin).",
        example="/dexter unsubscribe r1",
        handler=unsubscribe_command,
        group="Releases",
    ),
]
