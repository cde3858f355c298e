"""`/dexter bulk …`: preview the matching issues, then Confirm / Cancel."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import errors, messages, mrkdwn
from bot.core.ids import Action
from bot.core.parse import parse_issue_search
from bot.deps import Deps
from bot.slack.command_table import Subcommand
from bot.triage import cards
from bot.triage.bulk import BULK_TTL, PREVIEW_TITLES, BulkPlan, BulkReport
from bot.triage.parse import (
    BULK_USAGE,
    Assign,
    Unresolve,
    parse_assignee,
    split_ignore,
    split_resolve,
)
from bot.triage.service import Actor, AnyChange
from bot.triage.wording import preview_verb
from handlers.context import CommandContext, Interaction, listener
from handlers.triage.changes import actor, first_command, usage_on_error

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between progress updates
PROGRESS_UPDATES = 3  # a response_url takes 5 messages: start, up to 3 updates, the result
MAX_CARD_REFRESHES = 20
NOT_YOURS_TO_CANCEL = "Only <@{user}>, who asked for this, can cancel it."


async def parse_bulk(ctx: CommandContext, args: str) -> tuple[AnyChange, str]:
    """`resolve …|unresolve|ignore …|assign <who>|unassign` and the search that follows."""
    words = args.split()  # not shlex: quotes belong to the Sentry search
    if not words:
        raise errors.UserError("What should happen to which issues?")
    verb, rest = words[0].lower(), words[1:]
    change: AnyChange
    if verb == "resolve":
        change, rest = split_resolve(rest)
    elif verb in ("unresolve", "reopen"):
        change = Unresolve()
    elif verb in ("ignore", "archive"):
        change, rest = split_ignore(rest)
    elif verb == "assign" and rest:
        change = await ctx.deps.triage.assignee(actor(ctx), parse_assignee(rest[0]))
        rest = rest[1:]
    elif verb == "unassign":
        change = Assign(assignee="")
    else:
        raise errors.UserError(f"`{verb}` is not something I can do in bulk.")
    if not rest:
        raise errors.UserError("Give the search that selects the issues, e.g. `level:warning`.")
    return change, " ".join(rest)


async def bulk_command(ctx: CommandContext, args: str) -> None:
    """Preview a bulk change; nothing changes until Confirm."""
    async with usage_on_error(BULK_USAGE):
        if not await first_command(ctx):
            return
        change, query = await parse_bulk(ctx, args)
        search = parse_issue_search(query)
        await ctx.reply(text=messages.WORKING)
        service = ctx.deps.bulk
        plan = await service.preview(actor(ctx), change, search.to_query(), query_text=query)
    blocks = ctx.deps.renderer.blocks(
        "triage/bulk_preview",
        plan=plan,
        what=preview_verb(plan.change),
        shown=plan.items[:PREVIEW_TITLES],
        ttl_minutes=int(BULK_TTL // 60),
        implied=messages.BULK_IMPLIED_STATUS if plan.implied_status else None,
    )
    await ctx.reply(blocks, text=f"Preview: {preview_verb(plan.change)}", replace=True)


COMMANDS = [
    Subcommand(
        name="bulk",
        usage=BULK_USAGE,
        summary="Change every issue a search matches (up to 1,000), after a preview you confirm.",
        example="/dexter bulk resolve is:unresolved release:backend@1.4.0",
        handler=bulk_command,
        group="Triage",
    )
]


class _Progress:
    """Progress through the response_url, within Slack's five uses per URL."""

    def __init__(self, respond: AsyncRespond) -> None:
        self.respond = respond
        self.left = PROGRESS_UPDATES
        self.last = time.monotonic()

    async def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or self.left <= 0 or now - self.last < PROGRESS_EVERY:
            return
        self.left -= 1
        self.last = now
        await self.respond(
            text=messages.BULK_PROGRESS.format(done=done, total=total), replace_original=True
        )


async def confirm(
    deps: Deps, client: AsyncWebClient, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """Run a previewed plan once, however often Confirm is clicked."""
    service = deps.bulk
    token = str(body["actions"][0].get("value", ""))
    who = _clicker(body)
    plan = await service.load(token)
    if plan is None:
        if await service.claim(token):  # not a double click of a finished run: it expired
            await respond(text=messages.BULK_EXPIRED, replace_original=True)
        return
    if not _owns(plan, who):
        await respond(
            text=mrkdwn.format(messages.BULK_NOT_YOURS, user=plan.user_id), replace_original=False
        )
        return
    if not await service.claim(token):
        log.info("bulk %s already confirmed; ignoring the repeat", token)
        return
    await respond(text=messages.BULK_STARTED.format(total=len(plan.items)), replace_original=True)
    result = await service.run(plan, who, _Progress(respond))
    retry = await service.retry_plan(plan, result)
    await service.discard(token)
    blocks = deps.renderer.blocks("triage/bulk_report", report=result, retry=retry)
    await respond(blocks=blocks, text=_summary(result), replace_original=True)
    await _refresh_cards(deps, client, plan, result)


def _clicker(body: dict[str, Any]) -> Actor:
    user = body.get("user") or {}
    return Actor(
        team_id=str((body.get("team") or {}).get("id") or user.get("team_id") or ""),
        slack_user_id=str(user.get("id", "")),
    )


def _owns(plan: BulkPlan, who: Actor) -> bool:
    """The plan (kept in Redis, named by the button's token) is the clicker's own."""
    return (plan.user_id, plan.team_id) == (who.slack_user_id, who.team_id)


async def cancel(deps: Deps, body: dict[str, Any], respond: AsyncRespond) -> None:
    """Forget a previewed plan: only its owner may (the token alone proves nothing)."""
    service = deps.bulk
    token = str(body["actions"][0].get("value", ""))
    plan = await service.load(token)
    if plan is not None and not _owns(plan, _clicker(body)):
        await respond(
            text=mrkdwn.format(NOT_YOURS_TO_CANCEL, user=plan.user_id), replace_original=False
        )
        return
    await service.discard(token)
    await respond(text=messages.BULK_CANCELLED, replace_original=True)


def _summary(result: BulkReport) -> str:
    return f"{result.what}: {len(result.changed)} of {result.total} issues changed."


async def _refresh_cards(
    deps: Deps, client: AsyncWebClient, plan: BulkPlan, result: BulkReport
) -> None:
    try:
        ids = await deps.triage.cards.with_cards([i.id for i in result.changed])
    except errors.StateUnavailable:
        return
    for issue_id in ids[:MAX_CARD_REFRESHES]:
        try:
            await cards.refresh(deps, client, issue_id)
        except Exception as exc:
            log.info(
                "could not refresh the card of %s after bulk %s: %s", issue_id, plan.token, exc
            )


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for Confirm / Cancel on bulk previews."""

    @app.action(Action.BULK_CONFIRM.value)
    @listener(deps, "action")
    async def on_confirm(ctx: Interaction) -> None:
        await confirm(deps, ctx.client, ctx.body, ctx.responder)

    @app.action(Action.BULK_CANCEL.value)
    @listener(deps, "action")
    async def on_cancel(ctx: Interaction) -> None:
        await cancel(deps, ctx.body, ctx.responder)
