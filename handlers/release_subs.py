"""`/dexter subscribe releases`, `/dexter subscriptions`, `/dexter unsubscribe <id>`."""

from __future__ import annotations

from bot import format as fmt
from bot.commands import Subcommand
from bot.errors import UserError
from bot.parsing import split_args
from bot.release_args import SUBSCRIBE_USAGE, UNSUBSCRIBE_USAGE, parse_subscribe
from bot.release_subs import SubscriptionStore
from handlers.context import CommandContext

SUBSCRIBED = (
    "<@{user}> subscribed this channel to new releases and deploys of `{what}` "
    "(subscription `{id}`); an hour after each deploy a health check follows in its thread."
)
ALREADY = "This channel is already subscribed to `{what}` (subscription `{id}`)."
INVITE_HINT = " Make sure Dexter is in this channel: `/invite @Dexter`."
UNSUBSCRIBED = "Removed subscription `{id}` (`{what}`) from this channel."
NO_SUCH_SUB = "This channel has no subscription `{id}`. See `/dexter subscriptions`."


async def subscribe_command(ctx: CommandContext, args: str) -> None:
    """Subscribe the channel to a project's releases and deploys."""
    f = parse_subscribe(args)
    project = await ctx.deps.projects.by_slug(f.projects[0])
    subs = SubscriptionStore(ctx.deps.store)
    sub, created = await subs.add(
        ctx.channel_id, project.slug, f.environment, user=ctx.user_id, team_id=ctx.team_id
    )
    what = fmt.escape(sub.describe())
    if created:
        await ctx.reply(
            text=SUBSCRIBED.format(user=ctx.user_id, what=what, id=sub.id) + INVITE_HINT,
            public=True,
        )
    else:
        await ctx.reply(text=ALREADY.format(what=what, id=sub.id))


async def subscriptions_command(ctx: CommandContext, args: str) -> None:
    """List this channel's subscriptions."""
    subs = await SubscriptionStore(ctx.deps.store).for_channel(ctx.channel_id, team_id=ctx.team_id)
    blocks = ctx.deps.renderer.blocks("release_subscriptions", subs=subs, notice=None)
    await ctx.reply(blocks)


async def unsubscribe_command(ctx: CommandContext, args: str) -> None:
    """Remove one of this channel's subscriptions."""
    words = split_args(args)
    if len(words) != 1:
        raise UserError("Which subscription?", usage=UNSUBSCRIBE_USAGE)
    sub_id = fmt.escape(words[0][:20])
    removed = await SubscriptionStore(ctx.deps.store).remove(words[0], ctx.channel_id)
    if removed is None:
        raise UserError(NO_SUCH_SUB.format(id=sub_id), usage=UNSUBSCRIBE_USAGE)
    await ctx.reply(text=UNSUBSCRIBED.format(id=removed.id, what=fmt.escape(removed.describe())))


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
        summary="Remove one of this channel's subscriptions.",
        example="/dexter unsubscribe r1",
        handler=unsubscribe_command,
        group="Releases",
    ),
]
