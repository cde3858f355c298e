"""Digest subscriptions as the surfaces manage them: create one, list rows, the user's zone.

Shared by `/dexter digest`, the team card's Subscribe button and App Home, so no handler imports
another (pyproject.toml: "Handlers do not import each other")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import clock, mrkdwn
from bot.core.errors import UserError
from bot.digests import messages as msg
from bot.digests.parse import Target
from bot.digests.schedule import Schedule, next_fire, zone_of
from bot.digests.sender import slack_date
from bot.digests.subscriptions import DeliveryState, DigestStore, Subscription
from bot.slack.channel_gone import CHANNEL_GONE

if TYPE_CHECKING:
    from bot.digests.feature import DigestFeature
    from bot.discover.saved_queries import SavedQueries
    from bot.slack.directory import SlackDirectory


async def user_tz(users: SlackDirectory, team_id: str, user_id: str) -> str:
    """The user's Slack time zone (`users.info` tz), UTC when unknown."""
    try:
        user = await users.user(team_id, user_id)
    except Exception:
        user = None
    tz = user.tz if user and user.tz else "UTC"
    try:
        zone_of(tz)
    except UserError:
        return "UTC"
    return tz


async def check_channel(client: AsyncWebClient, channel_id: str) -> None:
    try:
        info = await client.conversations_info(channel=channel_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        if error in CHANNEL_GONE:
            raise UserError(
                mrkdwn.format(msg.CHANNEL_GONE_ON_SUBSCRIBE, channel=channel_id, error=error)
            ) from None
        return  # e.g. a DM without im:read: let the first post tell
    if (info.get("channel") or {}).get("is_archived"):
        raise UserError(mrkdwn.format(msg.CHANNEL_ARCHIVED, channel=channel_id))


async def subscribe(
    digests: DigestFeature,
    saved_queries: SavedQueries,
    client: AsyncWebClient,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    target: Target,
    schedule: Schedule,
) -> str:
    """Create a subscription (after checking target and channel); returns the confirmation."""
    if target.query:
        await saved_queries.get(team_id, target.query)  # UserError naming close ones
    what = target.describe()
    if target.dashboard:  # finding it checks it; kept by id, as its title may change
        target, title = await digests.service.pin(target)
        what = mrkdwn.format("{} ({})", target.describe(), title)
    else:
        await digests.service.scope(target)
    await check_channel(client, channel_id)
    sub = await digests.store.create(
        team_id=team_id, channel_id=channel_id, owner_id=user_id, target=target, schedule=schedule
    )
    if digests.scheduler.running:
        await digests.scheduler.resync()
    upcoming = next_fire(schedule, clock.now())
    return mrkdwn.format(
        msg.SUBSCRIBED,
        channel=channel_id,
        target=what,
        schedule=schedule.describe(),
        next=slack_date(upcoming),
        id=sub.id,
    )


async def sub_rows(store: DigestStore, subs: list[Subscription]) -> list[dict[str, Any]]:
    """Rows for the subscription list template: subscription, state, next fire."""
    states = await store.states()
    now = clock.now()
    return [
        {"sub": s, "state": states.get(s.id) or DeliveryState(), "next": next_fire(s.schedule, now)}
        for s in subs
    ]
