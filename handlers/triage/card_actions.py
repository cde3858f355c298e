"""The triage controls on issue cards, unfurls, list rows and digest rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push.texts import ASSIGN_SUGGESTED
from bot.core import errors, messages, mrkdwn
from bot.core.format import link, truncate
from bot.core.ids import Action, BlockId
from bot.deps import Deps
from bot.sentry.refs import parse_issue_url
from bot.slack import blocks as block_kit
from bot.triage import cards
from bot.triage.card_controls import parse_choice
from bot.triage.card_store import CardRef
from bot.triage.parse import AssigneeSpec, Unresolve, ignore_choice, resolve_choice
from bot.triage.service import Actor, AnyChange
from handlers.context import Interaction, listener

log = logging.getLogger(__name__)

EXACT_TTL = 600.0  # the same interaction delivered again (retry, second replica)
CLICK_TTL = 3.0  # the same control clicked again on the same message (double click)
ACTIONS = (
    Action.ISSUE_RESOLVE,
    Action.ISSUE_UNRESOLVE,
    Action.ISSUE_IGNORE,
    Action.ISSUE_ASSIGN,
    Action.ISSUE_ASSIGN_ME,
    Action.ISSUE_REFRESH,
    Action.ISSUE_ROW_MENU,
    Action.ISSUE_ASSIGN_SUGGESTED,
    Action.ISSUE_ASSIGN_SUGGESTED_2,
)
SUGGESTED = (Action.ISSUE_ASSIGN_SUGGESTED, Action.ISSUE_ASSIGN_SUGGESTED_2)
SUGGESTED_PREFIX = ASSIGN_SUGGESTED.partition("{")[0]  # the button reads "Assign to <name>"


@dataclass(frozen=True, slots=True)
class Click:
    """One block action, reduced to what triage needs."""

    team_id: str
    user_id: str
    action_id: str
    value: str
    label: str
    block_id: str
    action_ts: str
    channel: str | None
    message_ts: str | None
    ephemeral: bool
    unfurl_url: str | None
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return Actor(team_id=self.team_id, slack_user_id=self.user_id)


def read_click(body: dict[str, Any]) -> Click:
    """The parts of a block_actions payload triage uses."""
    action = (body.get("actions") or [{}])[0]
    selected = action.get("selected_option") or {}
    container = body.get("container") or {}
    message = body.get("message") or {}
    user = body.get("user") or {}
    return Click(
        team_id=str((body.get("team") or {}).get("id") or user.get("team_id") or ""),
        user_id=str(user.get("id", "")),
        action_id=str(action.get("action_id", "")),
        value=str(action.get("value") or selected.get("value") or ""),
        label=str(
            (selected.get("text") or {}).get("text") or (action.get("text") or {}).get("text") or ""
        ),
        block_id=str(action.get("block_id", "")),
        action_ts=str(action.get("action_ts", "")),
        channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
        message_ts=container.get("message_ts") or message.get("ts"),
        ephemeral=bool(container.get("is_ephemeral")),
        unfurl_url=container.get("app_unfurl_url") if container.get("is_app_unfurl") else None,
        blocks=list(message.get("blocks") or []),
    )


def _click_keys(deps: Deps, click: Click) -> tuple[str, str]:
    parts = [click.user_id, click.action_id, click.value]
    exact = deps.store.key("interaction", click.action_ts, *parts)
    again = deps.store.key("click", click.message_ts or "-", *parts)
    return exact, again


async def first_click(deps: Deps, click: Click) -> bool:
    """False for a repeated delivery or a double click of the same control."""
    exact, again = _click_keys(deps, click)
    try:
        return await deps.store.first_time(exact, ttl=EXACT_TTL) and await deps.store.first_time(
            again, ttl=CLICK_TTL
        )
    except errors.StateUnavailable:
        return True  # Sentry updates are idempotent; better a rare repeat than a lost click


async def release_click(deps: Deps, click: Click) -> None:
    """Forget a click whose action failed, so clicking again (a retry) runs."""
    try:
        await deps.store.delete(*_click_keys(deps, click))
    except errors.StateUnavailable:
        log.info("could not release the click marker; a retry waits %ss", CLICK_TTL)


async def issue_of(deps: Deps, click: Click) -> str:
    """The issue a control acts on (see the value formats in bot/triage/card_controls.py)."""
    if click.action_id in (
        Action.ISSUE_RESOLVE,
        Action.ISSUE_IGNORE,
        Action.ISSUE_ROW_MENU,
        *SUGGESTED,
    ):
        issue_id = parse_choice(click.value)[1]
    elif click.action_id == Action.ISSUE_ASSIGN:
        issue_id = await _assign_target(deps, click)
    else:
        issue_id = click.value
    if not issue_id.isdigit():
        raise errors.UserError(messages.STALE_BUTTON)
    return issue_id


async def _assign_target(deps: Deps, click: Click) -> str:
    # The select's value is the assignee; the issue comes from the block (digest rows use
    # `assign|<id>`), the unfurled URL, a sibling control on the card, or the card registry.
    prefix, _, issue_id = click.block_id.partition("|")
    if prefix == "assign" and issue_id:
        return issue_id
    if click.unfurl_url:
        ref = parse_issue_url(click.unfurl_url)
        if ref and ref.issue_id:
            return ref.issue_id
    for block in click.blocks:
        if block.get("block_id") != click.block_id:
            continue
        for el in block.get("elements") or []:
            if el.get("action_id") in (Action.ISSUE_ASSIGN_ME, Action.ISSUE_REFRESH):
                return str(el.get("value", ""))
    if click.channel and click.message_ts:
        found = await deps.triage.cards.issue_of(click.channel, click.message_ts)
        if found:
            return found
    return ""


async def change_of(deps: Deps, click: Click) -> AnyChange | None:
    """The change a control asks for; None for Refresh."""
    if click.action_id == Action.ISSUE_RESOLVE:
        return resolve_choice(parse_choice(click.value)[0])
    if click.action_id == Action.ISSUE_IGNORE:
        return ignore_choice(parse_choice(click.value)[0])
    if click.action_id == Action.ISSUE_UNRESOLVE:
        return Unresolve()
    if click.action_id == Action.ISSUE_ASSIGN_ME:
        return await deps.triage.assignee(click.actor, AssigneeSpec("me"))
    if click.action_id == Action.ISSUE_ASSIGN:
        return deps.triage.picked(click.value, click.label)
    if click.action_id in SUGGESTED:  # a suggested owner's button on an alert card
        return deps.triage.picked(
            parse_choice(click.value)[0], click.label.removeprefix(SUGGESTED_PREFIX)
        )
    if click.action_id == Action.ISSUE_ROW_MENU:
        verb = parse_choice(click.value)[0]
        if verb == "resolve":
            return resolve_choice("now")
        if verb == "unresolve":
            return Unresolve()
        if verb == "ignore":
            return ignore_choice("escalating")
        if verb == "assign_me":
            return await deps.triage.assignee(click.actor, AssigneeSpec("me"))
        if verb != "card":
            raise errors.UserError(messages.STALE_BUTTON)
    return None


async def card_here(deps: Deps, click: Click, issue_id: str) -> CardRef | None:
    """The clicked message when it is a card or unfurl of this issue (not a digest or list)."""
    if not click.channel or not click.message_ts:
        return None
    if click.unfurl_url:
        return CardRef(channel=click.channel, ts=click.message_ts, url=click.unfurl_url)
    if click.ephemeral:
        return None
    if any(b.get("block_id") == BlockId.ISSUE_FIELDS for b in click.blocks):
        return CardRef(channel=click.channel, ts=click.message_ts)
    try:
        known = await deps.triage.cards.issue_of(click.channel, click.message_ts)
    except errors.StateUnavailable:
        known = None
    return CardRef(channel=click.channel, ts=click.message_ts) if known == issue_id else None


def _is_card(click: Click) -> bool:
    return any(b.get("block_id") == BlockId.ISSUE_FIELDS for b in click.blocks)


async def act(deps: Deps, client: AsyncWebClient, click: Click, respond: AsyncRespond) -> None:
    """Apply the control's change and bring every card of the issue up to date."""
    issue_id = await issue_of(deps, click)
    change = await change_of(deps, click)
    if change is None and click.action_id == Action.ISSUE_ROW_MENU:
        await _post_card(deps, client, click, issue_id, respond)
        return
    here = await card_here(deps, click, issue_id)
    outcome = await deps.triage.apply(click.actor, issue_id, change) if change else None
    if here is not None:
        await cards.remember(deps, issue_id, here)
    card = await cards.refresh(deps, client, issue_id, also=here)
    if click.ephemeral and _is_card(click):
        card = card or await cards.render(deps, issue_id)
        await respond(blocks=card.blocks, text=card.text, replace_original=True)
    elif here is None and outcome is not None:
        issue = outcome.issue
        label = mrkdwn.format(
            "{} {}", link(issue.permalink, issue.short_id), truncate(issue.title, 120)
        )
        await respond(
            text=mrkdwn.format(messages.CHANGED, what=outcome.what, issue=label),
            response_type="ephemeral",
            replace_original=False,
        )


async def _post_card(
    deps: Deps, client: AsyncWebClient, click: Click, issue_id: str, respond: AsyncRespond
) -> None:
    card, posted = await cards.post(deps, client, click.channel or "", issue_id)
    if posted is None:
        notice = block_kit.context(messages.NOT_IN_CHANNEL)
        await respond(
            blocks=[notice, *card.blocks][:50],
            text=card.text,
            response_type="ephemeral",
            replace_original=False,
        )


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for every triage control."""

    @listener(deps, "action")
    async def on_control(ctx: Interaction) -> None:
        client = ctx.client
        click = read_click(ctx.body)
        if not await first_click(deps, click):
            log.info("dropping a repeated %s from %s", click.action_id, click.user_id)
            return
        try:
            await act(deps, client, click, ctx.responder)
        except Exception as exc:
            await release_click(deps, click)  # before the user reads the error and retries
            await ctx.fail(exc)
            if (
                isinstance(exc, errors.UserError)
                and click.action_id == Action.ISSUE_RESOLVE
                and _is_card(click)
            ):
                # e.g. "no releases yet": the refreshed card drops the release options.
                await _quiet_refresh(deps, client, click)

    for action_id in ACTIONS:
        app.action(action_id.value)(on_control)


async def _quiet_refresh(deps: Deps, client: AsyncWebClient, click: Click) -> None:
    try:
        issue_id = await issue_of(deps, click)
        await cards.refresh(deps, client, issue_id, also=await card_here(deps, click, issue_id))
    except Exception as exc:
        log.info("could not refresh the card after an error: %s", exc)
