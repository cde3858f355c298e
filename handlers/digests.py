"""`/dexter digest …` and the digest buttons (Send now, Unsubscribe)."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import clock, mrkdwn
from bot.core.errors import PermissionDenied, UserError
from bot.core.ids import Action
from bot.deps import Deps
from bot.digests import messages as msg
from bot.digests.manage import sub_rows, subscribe, user_tz
from bot.digests.parse import PREVIEW_USAGE, SUBSCRIBE_USAGE, parse_preview, parse_subscribe
from bot.digests.sender import ChannelGone, slack_date
from bot.digests.subscriptions import Subscription
from bot.slack.channel_rights import may_manage
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext, Interaction, listener
from handlers.error_replies import describe, report

log = logging.getLogger(__name__)

ID_USAGE = "/dexter digest {verb} <id>"


async def require_manage(
    deps: Deps, client: AsyncWebClient, sub: Subscription, team_id: str, user_id: str
) -> None:
    """PermissionDenied unless the user may change this subscription (bot/slack/channel_rights.py:
    the owner, the channel's manager or a workspace admin)."""
    allowed = await may_manage(
        deps.slack_users,
        client,
        team_id=team_id,
        user_id=user_id,
        owner_id=sub.owner_id,
        channel_id=sub.channel_id,
    )
    if not allowed:
        raise PermissionDenied(mrkdwn.format(msg.NOT_ALLOWED, owner=sub.owner_id, id=sub.id))


async def _find_channel(client: AsyncWebClient, name: str) -> str:
    cursor = None
    for _ in range(10):
        resp = await client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
        )
        for ch in resp.get("channels") or []:
            if ch.get("name") == name:
                return str(ch["id"])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    raise UserError(msg.UNKNOWN_CHANNEL.format(name=name), usage=SUBSCRIBE_USAGE)


async def _by_id(ctx: CommandContext, args: str, verb: str) -> Subscription:
    words = args.split()
    if len(words) != 1:
        raise UserError("Which digest?", usage=ID_USAGE.format(verb=verb))
    sub = await ctx.deps.digests.store.get(words[0])
    if sub is None or sub.team_id != ctx.team_id:
        raise UserError(msg.NO_SUCH_DIGEST.format(id=words[0][:20]))
    return sub


async def overview(ctx: CommandContext, args: str) -> None:
    """`/dexter digest` on its own: the digest commands."""
    lines = [f"`{c.usage}`\n{c.summary}" for c in COMMANDS if c.name != "digest"]
    await ctx.reply(text="*Digests*\n" + "\n".join(lines))


async def subscribe_command(ctx: CommandContext, args: str) -> None:
    """Subscribe a channel to a scheduled digest."""
    tz = await user_tz(ctx.deps.slack_users, ctx.team_id, ctx.user_id)
    req = parse_subscribe(args, default_tz=tz)
    channel = req.channel_id or ctx.channel_id
    if req.channel_name:
        channel = await _find_channel(ctx.client, req.channel_name)
    text = await subscribe(
        ctx.deps.digests,
        ctx.deps.saved_queries,
        ctx.client,
        team_id=ctx.team_id,
        user_id=ctx.user_id,
        channel_id=channel,
        target=req.target,
        schedule=req.schedule,
    )
    await ctx.reply(text=text)


async def list_command(ctx: CommandContext, args: str) -> None:
    """List this channel's digests and the user's own elsewhere."""
    feat = ctx.deps.digests
    subs = await feat.store.all()
    here = [s for s in subs if (s.team_id, s.channel_id) == (ctx.team_id, ctx.channel_id)]
    mine = [
        s for s in subs if (s.team_id, s.owner_id) == (ctx.team_id, ctx.user_id) and s not in here
    ]
    blocks = ctx.deps.renderer.blocks(
        "digests/digest_list",
        here=await sub_rows(feat.store, here),
        mine=await sub_rows(feat.store, mine),
        when=slack_date,
    )
    await ctx.reply(blocks, text=f"{len(here)} digests in this channel")


async def unsubscribe(
    deps: Deps, client: AsyncWebClient, sub: Subscription, team_id: str, user_id: str
) -> str:
    """Delete a subscription after the permission check; returns the confirmation."""
    await require_manage(deps, client, sub, team_id, user_id)
    feat = deps.digests
    await feat.store.delete(sub.id)
    if feat.scheduler.running:
        await feat.scheduler.resync()
    log.info("digest %s removed by %s", sub.id, user_id)
    return mrkdwn.format(
        msg.UNSUBSCRIBED, id=sub.id, target=sub.target.describe(), channel=sub.channel_id
    )


async def unsubscribe_command(ctx: CommandContext, args: str) -> None:
    """Stop a digest."""
    sub = await _by_id(ctx, args, "unsubscribe")
    await ctx.reply(text=await unsubscribe(ctx.deps, ctx.client, sub, ctx.team_id, ctx.user_id))


async def send(
    deps: Deps, client: AsyncWebClient, sub: Subscription, team_id: str, user_id: str
) -> str:
    """Post a digest now after the permission check; returns the confirmation."""
    if not sub.enabled:
        raise UserError(f"Digest `{sub.id}` is disabled: {sub.disabled_reason}.")
    await require_manage(deps, client, sub, team_id, user_id)
    try:
        await deps.digests.scheduler.send_now(sub)
    except ChannelGone as exc:
        why = msg.GONE_REASONS.get(exc.error, exc.error)
        raise UserError(
            mrkdwn.format(
                msg.DISABLED_CHANNEL_GONE,
                id=sub.id,
                target=sub.target.describe(),
                channel=sub.channel_id,
                why=why,
            )
        ) from None
    return mrkdwn.format(msg.SENT, id=sub.id, channel=sub.channel_id)


async def send_command(ctx: CommandContext, args: str) -> None:
    """Post a digest now."""
    sub = await _by_id(ctx, args, "send")
    await ctx.reply(text=await send(ctx.deps, ctx.client, sub, ctx.team_id, ctx.user_id))


async def preview_command(ctx: CommandContext, args: str) -> None:
    """Show a digest just to the user, right now."""
    target, schedule = parse_preview(args)
    deps = ctx.deps
    if target.query:
        await deps.saved_queries.get(ctx.team_id, target.query)
    feat = deps.digests
    end = clock.now().replace(microsecond=0)
    start = end - schedule.nominal_period()
    dash = await feat.service.build(target, start, end, team_id=ctx.team_id, chart=False)
    blocks = feat.sender.blocks(dash, preview=True)
    await ctx.reply(blocks, text=f"Digest preview for {dash.title}")


COMMANDS = [
    Subcommand(
        name="digest",
        usage="/dexter digest",
        summary="The digest commands.",
        example="/dexter digest",
        handler=overview,
        group="Digests",
    ),
    Subcommand(
        name="digest subscribe",
        usage=SUBSCRIBE_USAGE,
        summary="Post a team dashboard, or a Sentry dashboard's widgets, on a schedule "
        "(default: this channel, daily at 09:00 in your time zone).",
        example="/dexter digest subscribe team:backend weekdays at 09:30",
        handler=subscribe_command,
        group="Digests",
    ),
    Subcommand(
        name="digest list",
        usage="/dexter digest list",
        summary="This channel's digests and yours, with Send now and Unsubscribe buttons.",
        example="/dexter digest list",
        handler=list_command,
        group="Digests",
    ),
    Subcommand(
        name="digest unsubscribe",
        usage=ID_USAGE.format(verb="unsubscribe"),
        summary="Stop a digest (its owner, the channel's manager or an admin).",
        example="/dexter digest unsubscribe 3fa2c1",
        handler=unsubscribe_command,
        group="Digests",
    ),
    Subcommand(
        name="digest preview",
        usage=PREVIEW_USAGE,
        summary="See a digest right now, only for you.",
        example="/dexter digest preview team:backend",
        handler=preview_command,
        group="Digests",
    ),
    Subcommand(
        name="digest send",
        usage=ID_USAGE.format(verb="send"),
        summary="Post a digest in its channel now.",
        example="/dexter digest send 3fa2c1",
        handler=send_command,
        group="Digests",
    ),
]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the digest buttons and modals."""

    async def manage(ctx: Interaction, verb: str) -> None:
        body, client = ctx.body, ctx.client
        team_id, user_id = ctx.team_id, ctx.user_id
        in_home = (body.get("container") or {}).get("type") == "view"
        sub_id = str(body["actions"][0].get("value") or "")
        try:
            sub = await deps.digests.store.get(sub_id)
            if sub is None or sub.team_id != team_id:
                raise UserError(msg.NO_SUCH_DIGEST.format(id=sub_id[:20]))
            if verb == "send":
                text = await send(deps, client, sub, team_id, user_id)
            else:
                text = await unsubscribe(deps, client, sub, team_id, user_id)
        except Exception as exc:  # told in place (Home or the message), logged once
            text = describe(exc)
            if not isinstance(exc, UserError | PermissionDenied):
                await report(exc, _ignore)
        if in_home:
            await deps.home.publish(client, team_id, user_id, describe=describe, notice=text)
        else:
            await ctx.responder(text=text, response_type="ephemeral", replace_original=False)

    @app.action(Action.DIGEST_SEND.value)
    @listener(deps, "action")
    async def on_send(ctx: Interaction) -> None:
        await manage(ctx, "send")

    @app.action(Action.DIGEST_UNSUBSCRIBE.value)
    @listener(deps, "action")
    async def on_unsubscribe(ctx: Interaction) -> None:
        await manage(ctx, "unsubscribe")


async def _ignore(_: str) -> None:
    return None
