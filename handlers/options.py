"""Options load for the Assign menu: the organisation's teams and people as the user types.

Slack waits at most 3 s for the answer, which is the HTTP reply itself; members and teams
come from the Redis cache (refreshed every few minutes), and a cold cache that takes too
long answers with nothing while the load finishes for the next keystroke.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core.format import truncate
from bot.core.ids import Action
from bot.deps import Deps
from bot.sentry.models import Member, Team
from bot.slack import blocks as block_kit
from handlers.context import Interaction, listener

log = logging.getLogger(__name__)

ANSWER_WITHIN = 2.2  # seconds; Slack gives up at 3
MAX_TEAMS = 20
MAX_PEOPLE = 50


def _rank(query: str, *texts: str) -> int | None:
    """0 for a prefix match of any text, 1 for a substring match, None for no match."""
    if not query:
        return 1
    words = [t.lower() for t in texts if t]
    if any(w.startswith(query) for w in words):
        return 0
    if any(query in w for w in words):
        return 1
    return None


def _option(label: str, value: str) -> dict[str, Any]:
    return block_kit.option(truncate(label, 75), value)


def option_groups(query: str, teams: list[Team], people: list[Member]) -> list[dict[str, Any]]:
    """Teams and People matching the typed text, best matches first."""
    q = query.strip().lower().lstrip("#@")
    ranked_teams = sorted(
        ((r, t.slug, t) for t in teams if (r := _rank(q, t.slug, t.name)) is not None),
        key=lambda x: (x[0], x[1]),
    )
    ranked_people = sorted(
        (
            (r, (m.name or m.email).lower(), m)
            for m in people
            if m.user_id and (r := _rank(q, m.name, m.email, *m.name.split())) is not None
        ),
        key=lambda x: (x[0], x[1]),
    )
    groups: list[dict[str, Any]] = []
    if ranked_teams:
        groups.append(
            block_kit.option_group(
                "Teams",
                [_option(f"#{t.slug}", f"team:{t.id}") for _, _, t in ranked_teams[:MAX_TEAMS]],
            )
        )
    if ranked_people:
        groups.append(
            block_kit.option_group(
                "People",
                [
                    _option(
                        f"{m.name} ({m.email})" if m.name and m.email else m.name or m.email,
                        f"user:{m.user_id}",
                    )
                    for _, _, m in ranked_people[:MAX_PEOPLE]
                ],
            )
        )
    return groups


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer the Assign menu's options requests."""
    pending: set[asyncio.Task[Any]] = set()

    async def directory() -> tuple[list[Team], list[Member]]:
        teams, people = await asyncio.gather(deps.members.teams(), deps.members.members())
        return teams, people

    @app.options(Action.ISSUE_ASSIGN.value)
    @listener(deps, "options")
    async def on_assign_options(ctx: Interaction) -> None:
        ack, body = ctx.ack, ctx.body
        assert ack is not None
        task = asyncio.ensure_future(directory())
        pending.add(task)
        task.add_done_callback(pending.discard)
        try:
            teams, people = await asyncio.wait_for(asyncio.shield(task), ANSWER_WITHIN)
        except TimeoutError:
            log.warning("member directory too slow for the Assign menu; answering empty")
            await ack(options=[])
            return
        except Exception as exc:
            log.warning("could not load the member directory: %s", exc)
            await ack(options=[])
            return
        groups = option_groups(str(body.get("value") or ""), teams, people)
        if groups:
            await ack(option_groups=groups)
        else:
            await ack(options=[])
