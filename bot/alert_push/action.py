"""Dexter's alert-rule action in Sentry: its UI schema and the check of the chosen channel.

Sentry's contract (src/sentry/sentry_apps/external_requests/alert_rule_action_requester.py):
when a rule with this action is saved, Sentry POSTs `{"fields": [{"name", "value"}],
"installationId": <uuid>}` to the settings `uri` on the integration's webhook host, signed in
`Sentry-App-Signature` (hex HMAC-SHA256 of the body with the client secret). A 2xx saves the
rule; anything else refuses it, and Sentry shows `response.json()["message"]` (prefixed with
the app's name) either way. The channel select loads its options from its own `uri`
(select_requester.py: GET with `installationId`, `query`; signature over the empty body;
answer `[{"label", "value"}]`).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push import texts
from bot.alert_push.payloads import CHANNEL_SETTING, channel_id, setting
from bot.core.errors import StateUnavailable
from bot.core.store import Store
from bot.slack.channel_gone import CHANNEL_GONE

log = logging.getLogger(__name__)

CHECK_TTL = 300.0  # a channel found usable is trusted this long for deliveries (bursts)
NOT_POSTABLE = CHANNEL_GONE
SETTINGS_URI = "/sentry/alert-rule-action"
CHANNELS_URI = "/sentry/alert-rule-action/channels"
MAX_OPTIONS = 100


def alert_rule_action_schema() -> dict[str, Any]:
    """The integration's UI schema: one alert-rule-action with a required `channel` select.

    Valid for Sentry's validator (src/sentry/sentry_apps/api/parsers/schema.py): an
    `alert-rule-action` needs `type`, `title`, `settings`; its `alert-rule-settings` need
    `type`, `uri` (a path starting with `/`), `required_fields`, and a description of at most
    140 characters; a select needs `type`, `name`, `label` and exactly one of `uri`/`options`.
    """
    return {
        "elements": [
            {
                "type": "alert-rule-action",
                "title": texts.ACTION_TITLE,
                "settings": {
                    "type": "alert-rule-settings",
                    "uri": SETTINGS_URI,
                    "description": texts.ACTION_DESCRIPTION,
                    "required_fields": [
                        {
                            "type": "select",
                            "name": CHANNEL_SETTING,
                            "label": texts.CHANNEL_LABEL,
                            "uri": CHANNELS_URI,
                        }
                    ],
                },
            }
        ]
    }


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """Whether Dexter can post in a channel of the workspace; `problem` says why not."""

    channel: str | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def check_channel(client: AsyncWebClient, value: str | None) -> ChannelCheck:
    """Ask Slack, with the workspace's own token, whether the channel is there and Dexter in it.

    A token sees only its workspace's channels (and those shared into it), so a channel of
    another workspace is `channel_not_found` here.
    """
    if not value:
        return ChannelCheck(None, texts.CHANNEL_MISSING)
    channel = channel_id(value)
    if channel is None:
        return ChannelCheck(None, texts.CHANNEL_NOT_AN_ID)
    try:
        resp = await client.conversations_info(channel=channel)
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        log.info("channel %s refused by Slack: %s", channel, error)
        return ChannelCheck(channel, texts.CHANNEL_UNKNOWN)
    info = resp.get("channel") or {}
    if info.get("is_archived"):
        return ChannelCheck(channel, texts.CHANNEL_ARCHIVED)
    if not info.get("is_member"):
        return ChannelCheck(channel, texts.CHANNEL_NOT_MEMBER)
    return ChannelCheck(channel)


def _usable_key(store: Store, team_id: str, channel: str) -> str:
    return store.key("alertpush", "channel-ok", team_id or "-", channel)


async def check_for_delivery(
    store: Store, client: AsyncWebClient, team_id: str, value: str | None
) -> ChannelCheck:
    """`check_channel`, remembering a usable channel for CHECK_TTL: a burst of alerts for one
    channel asks Slack once. A post that then fails calls `forget_usable`."""
    channel = channel_id(value)
    if channel is not None:
        try:
            if await store.get_json(_usable_key(store, team_id, channel)):
                return ChannelCheck(channel)
        except StateUnavailable:
            pass
    check = await check_channel(client, value)
    if check.ok and check.channel is not None:
        with contextlib.suppress(StateUnavailable):
            await store.set_json(_usable_key(store, team_id, check.channel), 1, ttl=CHECK_TTL)
    return check


async def forget_usable(store: Store, team_id: str, channel: str) -> None:
    """Dexter could not post there after all (removed from the channel, archived)."""
    with contextlib.suppress(StateUnavailable):
        await store.delete(_usable_key(store, team_id, channel))


def channel_of_fields(fields: Any) -> str | None:
    """The `channel` value Sentry sent with the settings form."""
    return setting(fields, CHANNEL_SETTING)


async def channel_options(client: AsyncWebClient, query: str = "") -> list[dict[str, str]]:
    """The channels Dexter is in, as the select's options, filtered by what was typed."""
    out: list[dict[str, str]] = []
    cursor: str | None = None
    needle = query.strip().lstrip("#").lower()
    while len(out) < MAX_OPTIONS:
        resp = await client.users_conversations(
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=200,
            cursor=cursor,
        )
        for ch in resp.get("channels") or []:
            name = str(ch.get("name") or "")
            if needle and needle not in name.lower():
                continue
            out.append({"label": f"#{name}", "value": str(ch.get("id"))})
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return out[:MAX_OPTIONS]
