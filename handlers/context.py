"""One interaction: who, where and how to answer, for every listener kind.

A slash command, a button click, a view submission, an options load and an event all
arrive as a Bolt body of a different shape; `Interaction` reads the same fields from each
(the ones the pipeline's job carries: bot/pipeline/envelope.py) and answers the same way.

One decorator for every Bolt listener: ack, correlation id, context, one error report.

    @app.action(Action.SOMETHING.value)
    @listener(deps, "action")
    async def on_something(ctx: Interaction) -> None: ...

The handler receives an `Interaction` and does its work; the decorator

- acks first (commands, actions, views that are enqueued at the front door: what reaches a
  worker was acked at the web role already, so the ack is a formality there), or leaves the
  ack to the handler through `ctx.ack` with `ack="handler"`: options loads and views
  registered with `deps.front.inline_view` answer in the HTTP response (bot/pipeline/front.py).
  An options handler that fails without acking answers an empty list;
- keeps the request's correlation id (or starts one) for the log lines and the reply;
- reports an exception once through `handlers/error_replies.py`: to the user (ephemeral,
  or by DM where there is no channel) for commands, actions and views; to the log for
  options (answered empty). An event's exception escapes to the pipeline, which logs it,
  retries the job and dead-letters it: the job's retries are the only recovery there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import messages, mrkdwn
from bot.core.logs import new_correlation_id
from bot.deps import Deps
from bot.slack import blocks as block_kit
from bot.slack.channel_gone import is_channel_gone
from bot.slack.render import fallback_text
from handlers.error_replies import report

log = logging.getLogger(__name__)

Kind = Literal["command", "action", "view", "options", "event", "webhook"]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def user_of(body: dict[str, Any]) -> str:
    """The user who acted: `user_id` (commands), `user.id` (interactions), `event.user`."""
    user = body.get("user")
    return (
        _str(body.get("user_id"))
        or (_str(user) if isinstance(user, str) else _str(_dict(user).get("id")))
        or _str(_dict(body.get("event")).get("user"))
    )


def team_of(body: dict[str, Any]) -> str:
    """The workspace: `team_id` (commands, events), `team.id`, else the user's team."""
    return (
        _str(body.get("team_id"))
        or _str(_dict(body.get("team")).get("id"))
        or _str(_dict(body.get("user")).get("team_id"))
        or _str(_dict(body.get("view")).get("team_id"))
    )


def channel_of(body: dict[str, Any]) -> str:
    """The conversation: `channel_id`, `channel.id`, the container's, or the event's."""
    event = _dict(body.get("event"))
    return (
        _str(body.get("channel_id"))
        or _str(_dict(body.get("channel")).get("id"))
        or _str(_dict(body.get("container")).get("channel_id"))
        or _str(event.get("channel"))
        or _str(_dict(event.get("item")).get("channel"))
    )


def response_url_of(body: dict[str, Any]) -> str:
    """The response_url (commands, messages' buttons) or a modal's first one."""
    url = _str(body.get("response_url"))
    if not url:
        urls = body.get("response_urls")
        first = _dict(urls[0]) if isinstance(urls, list) and urls else {}
        url = _str(first.get("response_url"))
    return url


@dataclass
class Interaction:
    """One request from Slack (or a job made of one): who, where, and the ways to answer.

    `body` is Bolt's body of any kind; a command's body is flat (`user_id`, `channel_id`),
    and a flat body is also how a listener names a place the body does not (a modal's
    sealed channel). `respond` is None where Slack gave no response_url (events, most
    views): `reply` then answers in the channel (ephemeral) or by DM.
    """

    deps: Deps
    body: dict[str, Any]
    respond: AsyncRespond | None
    client: AsyncWebClient
    kind: Kind = "command"
    ack: AsyncAck | None = None
    # where to answer when the body does not say (a modal's channel, from its metadata)
    answer_channel: str = ""

    @property
    def user_id(self) -> str:
        return user_of(self.body)

    @property
    def channel_id(self) -> str:
        return self.answer_channel or channel_of(self.body)

    @property
    def event(self) -> dict[str, Any]:
        """An event's `event` (empty for other kinds)."""
        return _dict(self.body.get("event"))

    @property
    def team_id(self) -> str:
        return team_of(self.body)

    @property
    def trigger_id(self) -> str:
        return _str(self.body.get("trigger_id"))

    @property
    def response_url(self) -> str:
        return response_url_of(self.body)

    @property
    def responder(self) -> AsyncRespond:
        """The response_url's sender, for a listener that answers through it directly."""
        if self.respond is None:
            raise RuntimeError(f"this {self.kind} came without a response_url")
        return self.respond

    async def is_admin(self) -> bool:
        """Whether the user is a Slack workspace admin or owner, or listed in DEXTER_ADMINS:
        the one admin check (bot/slack/directory.py), for every surface."""
        return await self.deps.slack_users.is_admin(self.team_id, self.user_id)

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
        submitted late, a button clicked much later), or there is none, the answer is
        posted instead.
        """
        text = mrkdwn.escape(text) if text else (fallback_text(blocks) if blocks else "")
        if self.respond is not None:
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

    async def replace(self, blocks: list[dict[str, Any]], *, text: str) -> None:
        """Replace the message the clicked button is in (through the response_url)."""
        await self.responder(blocks=blocks, text=text, replace_original=True)

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
            if is_channel_gone(exc):
                log.info("cannot post in %s (%s), answering ephemerally", self.channel_id, error)
                notice = block_kit.context(messages.NOT_IN_CHANNEL)
                await self.reply([notice, *blocks][:50], text=text)
                return None
            raise
        return {"channel": resp["channel"], "ts": resp["ts"]}

    async def open_modal(self, view: dict[str, Any]) -> str | None:
        """Open a modal on this request's trigger id; its view id, or None after telling the
        user it could not open (a trigger id lives 3 s: `expired_trigger_id` when Slack
        delivered the request late or the jobs ahead of it took long)."""
        try:
            opened = await self.client.views_open(trigger_id=self.trigger_id, view=view)
        except SlackApiError as exc:
            error = _str(exc.response.get("error"))
            log.info("modal not opened: %s", error)
            await self.reply(text=messages.MODAL_NOT_OPENED.format(error=error))
            return None
        return _str(_dict(opened.get("view")).get("id"))

    async def fail(self, exc: BaseException, *, search: bool = False) -> None:
        """Log the failure once with the correlation id and tell the user (ephemeral)."""
        await report(exc, lambda m: self.reply(text=m), search=search)


Handler = Callable[[Interaction], Awaitable[None]]
BoltListener = Callable[..., Awaitable[None]]
AckMode = Literal["first", "handler", "none"]
# Nobody to tell: a failed event (or webhook) escapes to the pipeline, which logs it once,
# retries the job and dead-letters it (bot/pipeline/worker.py).
RETRIED_KINDS: frozenset[str] = frozenset({"event", "webhook"})


async def _log_only(_: str) -> None:
    return None


def listener(
    deps: Deps,
    kind: Kind,
    *,
    ack: AckMode | None = None,
    search: bool = False,
    report_errors: bool | None = None,
) -> Callable[[Handler], BoltListener]:
    """Wrap `handler(ctx)` as a Bolt listener of `kind` (see the module's docstring).

    `ack` defaults to "first", except for options ("handler": the options are the answer)
    and events ("none": Bolt acknowledges events itself). `report_errors` defaults to
    True except for events: False lets an exception escape to the pipeline (retried,
    then dead-lettered with a notice), for a handler that reports what it expects itself
    with `ctx.fail`."""
    mode: AckMode = ack or (
        "handler" if kind == "options" else "none" if kind == "event" else "first"
    )
    catch = kind not in RETRIED_KINDS if report_errors is None else report_errors

    def wrap(handler: Handler) -> BoltListener:
        # Bolt passes arguments by the listener's parameter names: these four, explicitly
        # (functools.wraps would make Bolt read the handler's single `ctx` instead).
        async def on_request(
            ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
        ) -> None:
            if mode == "first":
                await ack()
            new_correlation_id()
            # Bolt gives a `respond` that raises when Slack sent no response_url
            usable = respond if getattr(respond, "response_url", None) else None
            ctx = Interaction(
                deps=deps, body=body, respond=usable, client=client, kind=kind, ack=ack
            )
            if not catch:
                await handler(ctx)
                return
            try:
                await handler(ctx)
            except Exception as exc:
                say = _log_only if kind == "options" else (lambda m: ctx.reply(text=m))
                await report(exc, say, search=search)
                if kind == "options" and getattr(ack, "response", None) is None:
                    await ack(options=[])

        on_request.__name__ = handler.__name__
        on_request.__qualname__ = handler.__qualname__
        on_request.__doc__ = handler.__doc__
        return on_request

    return wrap


# The name sub-command handlers are typed with (a command is one kind of interaction).
CommandContext = Interaction


def action_value(body: dict[str, Any]) -> str | None:
    """The clicked button's value."""
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    return value if isinstance(value, str) else None
