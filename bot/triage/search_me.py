"""`me` and `my_teams` in an issue search, made to mean the Slack user's linked Sentry account.

Dexter searches with an integration token: Sentry reads `assigned:me` as the integration
(src/sentry/search/utils.py `parse_user_value`), which is assigned nothing. Sentry's search
takes a username or an email there (`user_service.get_by_username` falls back to the primary
email), and `#<team>` where teams are allowed (`parse_actor_value`). Pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.grammar import tokenize

# src/sentry/api/issue_search.py: the keys whose values go through parse_user_value.
ME_KEYS = frozenset({"assigned", "assigned_or_suggested", "bookmarks", "subscribed"})
TEAM_KEYS = frozenset({"assigned", "assigned_or_suggested"})  # `my_teams` is valid here only
_TERM = re.compile(r"(?P<neg>!?)(?P<key>[a-z_]+):(?P<val>.+)", re.DOTALL)


def _values(raw: str) -> tuple[list[str], bool]:
    """The values of a term as written and whether they were a `[a, b]` list."""
    listed = raw.startswith("[") and raw.endswith("]")
    parts = raw[1:-1].split(",") if listed else [raw]
    return [p.strip() for p in parts], listed


def _bare(value: str) -> str:
    return value.strip('"')


def personal_terms(query: str) -> list[str]:
    """The terms that name the searching user (`assigned:me`, `bookmarks:me`, …)."""
    found: list[str] = []
    for token in tokenize(query):
        m = _TERM.fullmatch(token)
        if not m or m.group("key") not in ME_KEYS:
            continue
        values = [_bare(v) for v in _values(m.group("val"))[0]]
        if "me" in values or (m.group("key") in TEAM_KEYS and "my_teams" in values):
            found.append(token)
    return found


def needs_teams(query: str) -> bool:
    """True when the search uses `my_teams` (the user's teams must be looked up)."""
    return any("my_teams" in term for term in personal_terms(query))


def personalize(query: str, *, email: str, teams: Sequence[str] = ()) -> str:
    """The search with `me` as the user's email and `my_teams` as their `#team`s."""
    out: list[str] = []
    for token in tokenize(query):
        m = _TERM.fullmatch(token)
        if not m or token not in personal_terms(token):
            out.append(token)
            continue
        values, listed = _values(m.group("val"))
        key = m.group("key")
        new: list[str] = []
        for value in values:
            if _bare(value) == "me":
                new.append(email)
            elif _bare(value) == "my_teams" and key in TEAM_KEYS and teams:
                new += [f"#{t}" for t in teams]
            else:
                new.append(value)
        new = list(dict.fromkeys(new))
        shown = f"[{', '.join(new)}]" if listed or len(new) > 1 else new[0]
        out.append(f"{m.group('neg')}{key}:{shown}")
    return " ".join(out)
