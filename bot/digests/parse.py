"""Parse `/dexter digest …` arguments: channel, target and schedule (pure; no I/O)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from bot.core.errors import UserError
from bot.core.parse import split_args
from bot.digests.schedule import Schedule, parse_schedule

SUBSCRIBE_USAGE = (
    "/dexter digest subscribe [#channel] <team:<slug> | project:<slug>[,<slug>] | "
    "query:<saved-query> | dashboard:<id|title>> [daily | weekdays | weekly <day> | every <n>h] "
    "[at HH:MM] [tz <IANA zone>]"
)
PREVIEW_USAGE = (
    "/dexter digest preview <team:<slug> | project:<slug>[,<slug>] | query:<name> | "
    "dashboard:<id|title>>"
)
_CHANNEL_RE = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$")
MAX_DASHBOARD = 255  # DashboardDetailsSerializer: title max_length=255
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$", re.IGNORECASE)


class Target(BaseModel):
    """What a digest reports on: a team, or projects; optionally a saved query's results; or
    a Sentry dashboard (its id once subscribed, an id or a title as typed)."""

    model_config = ConfigDict(frozen=True)

    team: str | None = None
    projects: tuple[str, ...] = ()
    query: str | None = None
    dashboard: str | None = None

    def describe(self) -> str:
        """`team:core`, `project:api,web`, `team:core + query:slow`."""
        parts = []
        if self.team:
            parts.append(f"team:{self.team}")
        if self.projects:
            parts.append("project:" + ",".join(self.projects))
        if self.query:
            parts.append(f"query:{self.query}")
        if self.dashboard:
            parts.append(f"dashboard:{self.dashboard}")
        return " + ".join(parts)

    @property
    def key(self) -> str:
        """A stable string identifying the target (cache keys)."""
        return self.describe()


class SubscribeRequest(BaseModel):
    """`/dexter digest subscribe …` after parsing; channel None means this channel."""

    model_config = ConfigDict(frozen=True)

    channel_id: str | None
    channel_name: str | None = None  # a plain `#name` Slack sent without escaping
    target: Target
    schedule: Schedule


def parse_channel(token: str) -> str | None:
    """`<#C123|name>` → `C123`, anything else → None."""
    m = _CHANNEL_RE.match(token.strip())
    return m.group(1) if m else None


def parse_target(tokens: list[str], *, usage: str) -> tuple[Target, list[str]]:
    """Consume `team:`, `project:`, `query:` and `dashboard:` tokens; return the target and
    the rest."""
    team: str | None = None
    projects: list[str] = []
    query: str | None = None
    dashboard: str | None = None
    rest: list[str] = []
    for token in tokens:
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or key not in ("team", "project", "projects", "query", "dashboard"):
            rest.append(token)
            continue
        value = value.strip()
        if not value:
            raise UserError(f"`{token}` needs a value.", usage=usage)
        if key == "team":
            if team is not None:
                raise UserError("Give one team per digest.", usage=usage)
            team = value.lstrip("#").lower()
            _check_slug(team, "team", usage)
        elif key in ("project", "projects"):
            for slug in (p.strip().lower() for p in value.split(",")):
                if slug:
                    _check_slug(slug, "project", usage)
                    if slug not in projects:
                        projects.append(slug)
        elif key == "dashboard":
            if dashboard is not None:
                raise UserError("Give one dashboard per digest.", usage=usage)
            if len(value) > MAX_DASHBOARD:
                raise UserError("That dashboard title is too long.", usage=usage)
            # Slack sends &, < and > of typed text escaped; a title is matched as typed.
            dashboard = value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        else:
            if query is not None:
                raise UserError("Give one saved query per digest.", usage=usage)
            query = value
    if team and projects:
        raise UserError("A digest covers a team or projects, not both.", usage=usage)
    if dashboard and (team or projects or query):
        raise UserError(
            "A dashboard digest shows the dashboard alone: its own projects and filters apply.",
            usage=usage,
        )
    if not (team or projects or query or dashboard):
        raise UserError("What should the digest cover?", usage=usage)
    target = Target(team=team, projects=tuple(projects), query=query, dashboard=dashboard)
    return target, rest


def _check_slug(slug: str, what: str, usage: str) -> None:
    if not _SLUG_RE.match(slug):
        raise UserError(f"`{slug}` is not a {what} slug.", usage=usage)


def parse_subscribe(text: str, *, default_tz: str) -> SubscribeRequest:
    """Parse the arguments of `digest subscribe`."""
    tokens = split_args(text)
    channel_id: str | None = None
    channel_name: str | None = None
    if tokens and tokens[0].startswith("<#"):
        channel_id = parse_channel(tokens[0])
        if channel_id is None:
            raise UserError(f"`{tokens[0]}` is not a channel.", usage=SUBSCRIBE_USAGE)
        tokens = tokens[1:]
    elif tokens and tokens[0].startswith("#") and len(tokens[0]) > 1:
        channel_name = tokens[0][1:].lower()
        tokens = tokens[1:]
    try:
        target, rest = parse_target(tokens, usage=SUBSCRIBE_USAGE)
        schedule, rest = parse_schedule(rest, default_tz=default_tz)
    except UserError as exc:
        raise UserError(exc.message, usage=SUBSCRIBE_USAGE) from None
    if rest:
        raise UserError(f"I don't understand `{' '.join(rest)}`.", usage=SUBSCRIBE_USAGE)
    return SubscribeRequest(
        channel_id=channel_id, channel_name=channel_name, target=target, schedule=schedule
    )


def parse_preview(text: str) -> tuple[Target, Schedule]:
    """Parse `digest preview <target> [schedule]` (the schedule sets the period length)."""
    tokens = split_args(text)
    try:
        target, rest = parse_target(tokens, usage=PREVIEW_USAGE)
        schedule, rest = parse_schedule(rest)
    except UserError as exc:
        raise UserError(exc.message, usage=PREVIEW_USAGE) from None
    if rest:
        raise UserError(f"I don't understand `{' '.join(rest)}`.", usage=PREVIEW_USAGE)
    return target, schedule
