"""Who Sentry suggests for an issue: ownership rules / code owners, and suspect commits' authors.

Two endpoints Sentry's URL routes have (src/sentry/api/urls.py) though the published schema does
not list them:
- `projects/{org}/{project}/events/{event_id}/owners/` (EventOwnersEndpoint,
  src/sentry/api/endpoints/event_owners.py): `{"owners": [ActorSerializer: {type: user|team,
  id, name, ...}], "rule": <first matching rule's matcher {type, pattern}> | null, "rules": [...]}`;
- `projects/{org}/{project}/events/{event_id}/committers/` (EventFileCommittersEndpoint):
  `{"committers": [{"author": {id?, name, email, ...}, "commits": [...]}]}`; 404 when the
  project has no release with commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.core.errors import SentryError
from bot.sentry.client import SentryClient

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested owner. `assignee` is what Sentry's `assignedTo` takes, when it has one."""

    name: str
    why: str  # "owner rule" | "suspect commit"
    detail: str | None  # the rule's pattern, the commit's id
    assignee: str | None  # user:<id> | team:<id>


def _actor(raw: Mapping[str, Any]) -> tuple[str, str | None] | None:
    kind = raw.get("type")
    ident = raw.get("id")
    name = raw.get("name") or raw.get("email") or raw.get("slug")
    if not isinstance(name, str) or not name.strip():
        return None
    if kind in ("user", "team") and isinstance(ident, str | int) and str(ident).isdigit():
        return name.strip(), f"{kind}:{ident}"
    return name.strip(), None


def parse_owners(data: Any) -> list[Suggestion]:
    """Suggestions from the event owners answer."""
    if not isinstance(data, Mapping):
        return []
    rule = data.get("rule")
    pattern = None
    if isinstance(rule, Mapping):
        kind, pat = rule.get("type"), rule.get("pattern")
        if isinstance(pat, str):
            pattern = f"{kind}:{pat}" if isinstance(kind, str) else pat
    out: list[Suggestion] = []
    for raw in data.get("owners") or []:
        if not isinstance(raw, Mapping):
            continue
        found = _actor(raw)
        if found:
            out.append(Suggestion(found[0], "owner rule", pattern, found[1]))
    return out


def parse_committers(data: Any) -> list[Suggestion]:
    """Suggestions from the event committers answer (authors of suspect commits)."""
    if not isinstance(data, Mapping):
        return []
    out: list[Suggestion] = []
    for item in data.get("committers") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("author"), Mapping):
            continue
        author = item["author"]
        name = author.get("name") or author.get("email")
        if not isinstance(name, str) or not name.strip():
            continue
        ident = author.get("id")
        # an author Sentry matched to a member carries the user's id; others only name/email
        assignee = (
            f"user:{ident}" if isinstance(ident, str | int) and str(ident).isdigit() else None
        )
        commits = [c for c in item.get("commits") or [] if isinstance(c, Mapping)]
        sha = commits[0].get("id") if commits else None
        out.append(
            Suggestion(name.strip(), "suspect commit", str(sha)[:7] if sha else None, assignee)
        )
    return out


def merge(*groups: list[Suggestion], limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Owner rules first, then commit authors; one entry per person, at most `limit`."""
    seen: set[str] = set()
    out: list[Suggestion] = []
    for group in groups:
        for s in group:
            key = s.assignee or s.name.lower()
            if key in seen:
                continue
            seen.add(key)
            out.append(s)
    return out[:limit]


class OwnerService:
    """Reads the suggestions for an event of a project."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client

    def _path(self, project: str, event_id: str, what: str) -> str:
        org, proj, event = (quote(x, safe="") for x in (self.client.org, project, event_id))
        return f"projects/{org}/{proj}/events/{event}/{what}/"

    async def _read(self, path: str) -> Any:
        try:
            return (await self.client.get(path)).data
        except SentryError as exc:  # no ownership rules, no commits, no access: no suggestion
            log.info("no suggestions from %s: %s", path, type(exc).__name__)
            return None

    async def suggestions(self, project: str, event_id: str) -> list[Suggestion]:
        """Owner-rule owners and suspect-commit authors of the event, merged."""
        owners, committers = await asyncio.gather(
            self._read(self._path(project, event_id, "owners")),
            self._read(self._path(project, event_id, "committers")),
        )
        return merge(parse_owners(owners), parse_committers(committers))
