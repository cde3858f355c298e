"""What a sub-command handler receives, and how it answers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import messages, mrkdwn
from bot.deps import Deps
from bot.slack import blocks as block_kit
from bot.slack.render import fallback_text

log = logging.getLogger(__name__)


@dataclass
class CommandContext:
    """One `/dexter` invocation: who, where, and the ways to answer."""

    deps: Deps
    body: dict[str, Any]
    respond: AsyncRespond
    client: AsyncWebClient

    @property
    def user_id(self) -> str:
        return str(self.body.get("user_id", ""))

    @property
    def channel_id(self) -> str:
        return str(self.body.get("channel_id", ""))

    @property
    def team_id(self) -> str:
        return str(self.body.get("team_id", ""))

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id", ""))

    async def reply(
        self,
        blocks: list[dict[str, Any]] | None = None,
        *,
        text: str | None = None,
        public: bool = False,
        replace: bool = False,
    ) -> None:
        """Answer through the response_url: ephemeral unless public.

        `text` is mrkdwn: a plain `str` is escaped whole (it shows as typed); build text
        with mentions or links with `mrkdwn.format` (docs/mrkdwn.md).

        A response_url lives 30 minutes and takes 5 answers; when Slack refuses it (a modal
        submitted late, a button clicked much later), the answer is posted instead.
        """
        text = mrkdwn.escape(text) if text else (fallback_text(blocks) if blocks else "")
        resp = await self.respond(
            text=text,
            blocks=blocks,
            response_type="in_channel" if public else "ephemeral",
            replace_original=replace,
        )
        status = getattr(resp, "status_code", 200)
        if status == 200:
            return
        log.info(
            "response_url refused (%s, %s); posting instead", status, getattr(resp, "body", "")
        )
        if public or not self.channel_id:
            channel = self.channel_id or self.user_id
            await self.client.chat_postMessage(channel=channel, blocks=blocks, text=text)
        else:
            await self.client.chat_postEphemeral(
                channel=self.channel_id, user=self.user_id, blocks=blocks, text=text
            )

    async def post(self, blocks: list[dict[str, Any]], *, text: str) -> dict[str, Any] | None:
        """Post in the channel as the bot; returns {channel, ts}, or None after a fallback.
        A plain-`str` text is escaped whole, as in `reply`."""
        text = mrkdwn.escape(text)
        try:
            resp = await self.client.chat_postMessage(
                channel=self.channel_id, blocks=blocks, text=text, unfurl_links=False
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("not_in_channel", "channel_not_found", "is_archived"):
                log.info("cannot post in %s (%s), answering ephemerally", self.channel_id, error)
                notice = block_kit.context(messages.NOT_IN_CHANNEL)
                await self.reply([notice, *blocks][:50], text=text)
                return None
            raise
        return {"channel": resp["channel"], "ts": resp["ts"]}


def action_context(
    deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
) -> CommandContext:
    """A CommandContext for a button click, so actions answer the way commands do."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    flat = {
        "user_id": (body.get("user") or {}).get("id", ""),
        "channel_id": channel,
        "team_id": (body.get("team") or {}).get("id", "")
        or (body.get("user") or {}).get("team_id", ""),
        "trigger_id": body.get("trigger_id", ""),
    }
    return CommandContext(deps=deps, body=flat, respond=respond, client=client)


def action_value(body: dict[str, Any]) -> str | None:
    """The clicked button's value."""
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    return value if isinstance(value, str) else None
