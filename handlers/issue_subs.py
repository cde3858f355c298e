"""`/dexter subscribe issues project:<slug> [query:<search>]`: a card for each new issue.

Listed by `/dexter subscriptions` and removed by `/dexter unsubscribe <id>` with the release
subscriptions (handlers/releases/subs.py), under the same rights (bot/slack/channel_rights.py).
"""

from __future__ import annotations

from bot.core import mrkdwn
from bot.slack.command_table import Subcommand
from bot.webhooks.issue_subs import (
    SUBSCRIBE_ISSUES_USAGE,
    IssueSubscriptions,
    parse_subscribe_issues,
)
from handlers.context import CommandContext

SUBSCRIBED_ISSUES = (
    "<@{user}> subscribed this channel to new issues of `{what}` (subscription `{id}`): "
    "each is posted here as a card when Sentry reports it."
)
ALREADY_ISSUES = (
    "This channel is already subscribed to new issues of `{what}` (subscription `{id}`)."
)
NEEDS_WEBHOOKS = (
    " Dexter learns of new issues from Sentry's webhooks: see `dexter sentry-integration`."
)
INVITE_HINT = " Make sure Dexter is in this channel: `/invite @Dexter`."


async def subscribe_issues_command(ctx: CommandContext, args: str) -> None:
    """Subscribe the channel to a project's new issues (optionally matching a search)."""
    slug, query = parse_subscribe_issues(args)
    project = await ctx.deps.projects.by_slug(slug)  # Sentry must know the project
    subs = IssueSubscriptions(ctx.deps.store)
    sub, created = await subs.add(
        ctx.channel_id, project.slug, query, user=ctx.user_id, team_id=ctx.team_id
    )
    what = sub.describe()
    if not created:
        await ctx.reply(text=mrkdwn.format(ALREADY_ISSUES, what=what, id=sub.id))
        return
    text = mrkdwn.format(SUBSCRIBED_ISSUES + INVITE_HINT, user=ctx.user_id, what=what, id=sub.id)
    if not ctx.deps.settings.sentry_webhooks:
        text = mrkdwn.join("", [text, mrkdwn.escape(NEEDS_WEBHOOKS)])
    await ctx.reply(text=text, public=True)


COMMANDS = [
    Subcommand(
        name="subscribe issues",
        usage=SUBSCRIBE_ISSUES_USAGE,
        summary="Post a card here for each new issue of a project (matching a search).",
        example="/dexter subscribe issues project:backend query:level:error",
        handler=subscribe_issues_command,
        group="Issues",
    ),
]


def register(app: object, deps: object) -> None:
    """Only a sub-command: nothing to listen for."""
