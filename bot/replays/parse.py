"""`/dexter replays search …` after parsing (pure): the query, period, projects and sort."""

from __future__ import annotations

from typing import Literal, cast

from pydantic import BaseModel, ConfigDict

from bot.core.errors import UserError
from bot.core.grammar import (
    describe_period,
    normalize_period,
    option_kind,
    period_seconds,
    tokenize,
)
from bot.replays.sentry_api import SEARCH_SORTS

REPLAY_SEARCH_USAGE = (
    "/dexter replays search <query> [last <period>] [project:<slug>] [sort:newest|errors|duration]"
)
DEFAULT_PERIOD = "14d"
MAX_PERIOD_DAYS = 90  # replays are kept for 90 days
SortWord = Literal["newest", "errors", "duration"]
SORT_LABELS = {"newest": "newest first", "errors": "most errors first", "duration": "longest first"}


class ReplaySearch(BaseModel):
    """A replay search; also travels in the Next page button."""

    model_config = ConfigDict(frozen=True)

    query: str = ""
    period: str = DEFAULT_PERIOD
    projects: tuple[str, ...] = ()
    sort: SortWord = "newest"

    def describe(self) -> str:
        """The search in plain words for the message header."""
        parts = [self.query or "all replays", f"last {describe_period(self.period)}"]
        if self.projects:
            parts.append("in " + ", ".join(self.projects))
        return " · ".join([*parts, SORT_LABELS.get(self.sort, self.sort)])


def parse_replay_search(text: str) -> ReplaySearch:
    """Options (`last <period>`, `project:`, `sort:`) anywhere; the rest is Sentry's query."""
    tokens: list[str] = []
    projects: list[str] = []
    for token in tokenize(text.strip()):
        if option_kind(token) == "project":  # `environment:` stays a search term
            projects += [p.lower() for p in token.split(":", 1)[1].split(",") if p]
        else:
            tokens.append(token)
    rest: list[str] = []
    period = DEFAULT_PERIOD
    sort: SortWord = "newest"
    i = 0
    while i < len(tokens):
        token = tokens[i]
        found = normalize_period(tokens[i + 1 : i + 3]) if token.lower() == "last" else None
        if found:
            period, used = found
            i += 1 + used
            continue
        if token.lower().startswith("sort:"):
            word = token.split(":", 1)[1].lower()
            if word not in SEARCH_SORTS:
                raise UserError(
                    # plain text: the reply escapes a UserError's message whole
                    f"`sort:{word[:40]}` is not a replay sort. Use one of: "
                    + ", ".join(f"`sort:{s}`" for s in SEARCH_SORTS)
                    + ".",
                    usage=REPLAY_SEARCH_USAGE,
                )
            sort = cast(SortWord, word)  # checked against SEARCH_SORTS above
            i += 1
            continue
        rest.append(token)
        i += 1
    if period_seconds(period) > MAX_PERIOD_DAYS * 86400:
        raise UserError(
            f"`last {period}` is too long: Sentry keeps replays for {MAX_PERIOD_DAYS} days.",
            usage=REPLAY_SEARCH_USAGE,
        )
    unique = tuple(dict.fromkeys(projects))
    return ReplaySearch(query=" ".join(rest).strip(), period=period, projects=unique, sort=sort)
