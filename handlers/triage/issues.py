"""`/dexter issues` and `/dexter issue`, and the Next page button."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bot.core import clock, errors, messages
from bot.core.ids import Action
from bot.core.parse import ISSUES_USAGE, IssueSearch, parse_issue_search
from bot.deps import Deps
from bot.sentry.refs import REF_USAGE, parse_ref_argument
from bot.slack import blocks as block_kit
from bot.slack.command_table import Subcommand
from bot.slack.render import fallback_text
from bot.triage.cards import render_card
from bot.triage.search_me import needs_teams, personal_terms, personalize
from handlers.context import CommandContext, Interaction, listener

ISSUE_USAGE = "/dexter issue <id | SHORT-ID | issue URL>"


class PageState(IssueSearch):
    """The Next page button's value: the search, the cursor and the page number."""

    cursor: str
    page: int = 2


async def render_page(
    deps: Deps, search: IssueSearch, *, cursor: str | None = None, page: int = 1
) -> list[dict[str, Any]]:
    """Fetch one page of issues and render it."""
    result = await deps.issues.search(search.to_query(), cursor=cursor)
    next_value = None
    if result.next_cursor:
        state = PageState(**search.model_dump(), cursor=result.next_cursor, page=page + 1)
        next_value = block_kit.page_value(state)
    return deps.renderer.blocks(
        "triage/issue_list",
        search=search,
        issues=result.issues,
        page=page,
        next_value=next_value,
        now=clock.now(),
    )


async def for_user(deps: Deps, team_id: str, user_id: str, search: IssueSearch) -> IssueSearch:
    """The search with `me`/`my_teams` meaning the user's linked Sentry account and teams."""
    terms = personal_terms(search.query)
    if not terms:
        return search
    # `require` formats it again; the reason is escaped whole when shown (handlers/error_replies.py)
    term = terms[0].replace("{", "{{").replace("}", "}}")
    ident = await deps.identity.require(
        team_id, user_id, message=messages.ME_NOT_LINKED.format(term=term)
    )
    teams = await deps.members.teams_of(ident.member_id) if needs_teams(search.query) else []
    query = personalize(search.query, email=ident.email, teams=teams)
    return search.model_copy(update={"query": query})


async def issues_command(ctx: CommandContext, args: str) -> None:
    """List issues matching a Sentry search."""
    search = await for_user(ctx.deps, ctx.team_id, ctx.user_id, parse_issue_search(args))
    try:
        blocks = await render_page(ctx.deps, search)
    except errors.SentryBadRequest as exc:
        await ctx.fail(exc, search=True)
        return
    await ctx.reply(blocks, text=fallback_text(blocks), public=search.public)


async def issue_command(ctx: CommandContext, args: str) -> None:
    """Post an issue card in the channel."""
    ref = parse_ref_argument(args, ISSUE_USAGE)
    detail = await ctx.deps.issues.detail(ref)
    blocks = await render_card(ctx.deps, detail)
    text = f"{detail.issue.short_id}: {detail.issue.title}"
    posted = await ctx.post(blocks, text=text)
    hook = ctx.deps.cards.on_posted
    if posted and hook:
        await hook(detail.issue.id, posted)


COMMANDS = [
    Subcommand(
        name="issues",
        usage=ISSUES_USAGE,
        summary="Search issues (default `is:unresolved`, newest activity first), 10 per page.",
        example="/dexter issues level:error project:backend sort:freq",
        handler=issues_command,
        group="Issues",
    ),
    Subcommand(
        name="issue",
        usage=ISSUE_USAGE,
        summary=f"Post an issue card in the channel. The issue may be {REF_USAGE}.",
        example="/dexter issue BACKEND-1A",
        handler=issue_command,
        group="Issues",
    ),
]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the issue list's buttons."""

    @app.action(Action.ISSUES_NEXT_PAGE.value)
    @listener(deps, "action")
    async def on_next_page(ctx: Interaction) -> None:
        try:
            state = PageState.model_validate_json(ctx.body["actions"][0]["value"])
        except (ValidationError, KeyError, IndexError):
            await ctx.reply(text="That button has expired; run the search again.")
            return
        search = IssueSearch(**state.model_dump(exclude={"cursor", "page"}))
        blocks = await render_page(deps, search, cursor=state.cursor, page=state.page)
        await ctx.replace(blocks, text=fallback_text(blocks))

    @app.action(Action.OPEN_IN_SENTRY.value)
    @listener(deps, "action")
    async def on_open(ctx: Interaction) -> None:
        """A link button still sends an action; acknowledging avoids a warning icon."""
