"""Who may change what a channel is subscribed to (digests, release notices).

One rule for every channel subscription: the person who added it, the channel's manager
(Slack's `creator` of the channel) or a workspace admin (Slack's admin/owner flags, or
`DEXTER_ADMINS`). Every fact comes from Slack or from Dexter's own store, never from the
request: no Sentry link is needed, and an unlinked user is refused like anyone else.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.directory import SlackDirectory

log = logging.getLogger(__name__)


async def may_manage(
    directory: SlackDirectory,
    client: AsyncWebClient,
    *,
    team_id: str,
    user_id: str,
    owner_id: str,
    channel_id: str,
) -> bool:
    """Whether the user may change or remove a subscription of `channel_id`.

    `owner_id` is who added it, as Dexter stored it ("" when unknown: then only the
    channel's manager or an admin may). SlackUnavailable when Slack cannot say whether
    the user is an admin.
    """
    if not user_id:
        return False
    if owner_id and user_id == owner_id:
        return True
    if await directory.is_admin(team_id, user_id):
        return True
    try:
        info = await client.conversations_info(channel=channel_id)
    except SlackApiError as exc:
        log.info("conversations.info for %s failed: %s", channel_id, exc.response.get("error"))
        return False
    return bool((info.get("channel") or {}).get("creator") == user_id)
