"""Parse sub-command arguments into typed requests (pure; no I/O)."""

from __future__ import annotations

import shlex

from pydantic import BaseModel, ConfigDict

from bot.core.errors import UserError
from bot.sentry.issues import SORTS, IssueQuery

ISSUES_USAGE = (
    "/dexter issues [search query] [sort:date|freq|new|user] [project:<slug>] [env:<name>] [public]"
)


class IssueSearch(BaseModel):
    """`/dexter issues …` after parsing; also travels in the Next page button."""

    model_config = ConfigDict(frozen=True)

    query: str = "is:unresolved"
    sort: str = "date"
    projects: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    public: bool = False

    def to_query(self) -> IssueQuery:
        """The service-level query."""
        return IssueQuery(
            query=self.query, sort=self.sort, projects=self.projects, environments=self.environments
        )

    def describe(self) -> str:
        """The search in plain words for the message header."""
        parts = [self.query or "all issues"]
        if self.projects:
            parts.append("in " + ", ".join(self.projects))
        if self.environments:
            parts.append("env " + ", ".join(self.environments))
        return " · ".join(parts) + f" · sorted by {SORT_LABELS.get(self.sort, self.sort)}"


SORT_LABELS = {
    "date": "last seen",
    "freq": "events",
    "new": "first seen",
    "user": "users",
    "trends": "trend",
    "inbox": "inbox date",
}


def split_args(text: str) -> list[str]:
    """Split like a shell (quotes group words); unbalanced quotes fall back to whitespace."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def parse_issue_search(text: str) -> IssueSearch:
    """Split `/dexter issues` arguments into the Sentry query and Dexter's own options."""
    rest: list[str] = []
    sort = "date"
    projects: list[str] = []
    envs: list[str] = []
    public = False
    for token in text.split():
        low = token.lower()
        if low == "public":
            public = True
        elif low.startswith("sort:"):
            sort = low.removeprefix("sort:")
            if sort not in SORTS:
                raise UserError(
                    f"Unknown sort `{sort}`. Use one of: {', '.join(SORTS)}.", usage=ISSUES_USAGE
                )
        elif low.startswith("project:") and len(token) > len("project:"):
            projects += [p for p in token[len("project:") :].split(",") if p]
        elif low.startswith(("env:", "environment:")) and ":" in token[:-1]:
            envs += [e for e in token.split(":", 1)[1].split(",") if e]
        else:
            rest.append(token)
    query = " ".join(rest).strip() or "is:unresolved"
    return IssueSearch(
        query=query, sort=sort, projects=tuple(projects), environments=tuple(envs), public=public
    )
