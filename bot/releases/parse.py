"""Parse the release sub-commands' arguments into typed requests (pure; no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from bot.core.errors import UserError
from bot.core.parse import split_args
from bot.releases.sentry_api import RefSpec
from bot.sentry.refs import unwrap_slack_link

RELEASES_USAGE = "/dexter releases [project:<slug>] [env:<name>]"
RELEASE_USAGE = "/dexter release <version>"
CREATE_USAGE = (
    "/dexter release create <version> project:<slug>[,<slug>] "
    "[ref:<repo>@<sha>[..<previous-sha>]] [url:<url>]"
)
DEPLOY_USAGE = "/dexter deploy <version> <environment> [name:<text>] [url:<url>] [project:<slug>]"
DEPLOYS_USAGE = "/dexter deploys [<version> | env:<name>] [project:<slug>]"
SUBSCRIBE_USAGE = "/dexter subscribe releases project:<slug> [env:<name>]"
UNSUBSCRIBE_USAGE = "/dexter unsubscribe <id>"

_SHA = r"[0-9a-fA-F]{4,64}"
_REF = re.compile(rf"^(?P<repo>[\w.-]+(?:/[\w.-]+)*)@(?P<sha>{_SHA})(?:\.\.(?P<prev>{_SHA}))?$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_RESERVED_VERSIONS = {".", "..", "latest"}
# Slack clients may turn typed quotes into typographic ones; `name:"deploy 412"` must still group.
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True, slots=True)
class Filters:
    """`project:` and `env:` options plus the remaining words."""

    projects: tuple[str, ...] = ()
    environment: str | None = None
    words: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreateRequest:
    version: str
    projects: tuple[str, ...]
    refs: tuple[RefSpec, ...] = ()
    url: str | None = None


@dataclass(frozen=True, slots=True)
class DeployRequest:
    version: str
    environment: str
    name: str | None = None
    url: str | None = None
    projects: tuple[str, ...] = ()


def check_version(version: str, usage: str) -> str:
    """A version Sentry can hold and address (no whitespace or slash, at most 200 chars)."""
    v = version.strip()
    if not v:
        raise UserError("Which release?", usage=usage)
    if len(v) > 200 or v in _RESERVED_VERSIONS or "/" in v or any(c.isspace() for c in v):
        raise UserError(
            f"`{v[:60]}` is not a release version: no spaces or `/`, at most 200 characters.",
            usage=usage,
        )
    return v


def check_environment(env: str, usage: str) -> str:
    """An environment name as Sentry accepts it."""
    if not env or len(env) > 64 or "/" in env or any(c in env for c in "\r\n\f"):
        raise UserError(f"`{env[:60]}` is not an environment name.", usage=usage)
    return env


def check_url(text: str, usage: str) -> str:
    """An http(s) URL (Slack's `<url|label>` wrapping removed)."""
    url = unwrap_slack_link(text)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserError(f"`{url[:80]}` is not an http(s) URL.", usage=usage)
    return url


def check_projects(text: str, usage: str) -> tuple[str, ...]:
    """Comma-separated project slugs."""
    slugs = tuple(dict.fromkeys(s.strip().lower() for s in text.split(",") if s.strip()))
    bad = [s for s in slugs if not _SLUG.match(s)]
    if not slugs or bad:
        raise UserError(f"`{(bad or [text])[0][:60]}` is not a project slug.", usage=usage)
    return slugs


def parse_ref(token: str, usage: str = CREATE_USAGE) -> RefSpec:
    """`acme/backend@abc1234` or `acme/backend@abc1234..0f9e8d7` (commit..previous commit)."""
    m = _REF.match(token.strip())
    if not m:
        raise UserError(
            f"`{token[:80]}` is not a commit reference; write `<repo>@<sha>[..<previous-sha>]`, "
            "e.g. `acme/backend@4f2a9c1..e1d0b7a`.",
            usage=usage,
        )
    return RefSpec(m.group("repo"), m.group("sha").lower(), (m.group("prev") or "").lower() or None)


def parse_filters(text: str, usage: str, *, allowed: tuple[str, ...] = ()) -> Filters:
    """Split `project:`/`env:` and any `allowed` `key:value` options from positional words."""
    projects: list[str] = []
    env: str | None = None
    words: list[str] = []
    options: dict[str, str] = {}
    for token in split_args(text.translate(_SMART_QUOTES)):
        key, sep, value = token.partition(":")
        low = key.lower()
        if sep and low in ("project", "projects") and value:
            projects += check_projects(value, usage)
        elif sep and low in ("env", "environment") and value:
            env = check_environment(value, usage)
        elif sep and low in allowed:
            if not value:
                raise UserError(f"`{key}:` needs a value.", usage=usage)
            if low in options and low != "ref":
                raise UserError(f"`{key}:` is given twice.", usage=usage)
            options[low] = f"{options[low]} {value}" if low in options else value
        else:
            words.append(token)
    return Filters(tuple(dict.fromkeys(projects)), env, tuple(words), options)


def parse_releases(text: str) -> Filters:
    """`/dexter releases [project:<slug>] [env:<name>]`."""
    f = parse_filters(text, RELEASES_USAGE)
    if f.words:
        raise UserError(f"Unexpected `{f.words[0][:60]}`.", usage=RELEASES_USAGE)
    return f


def parse_release(text: str) -> str:
    """`/dexter release <version>`."""
    words = split_args(text.translate(_SMART_QUOTES))
    if len(words) != 1:
        raise UserError("Give exactly one release version.", usage=RELEASE_USAGE)
    return check_version(words[0], RELEASE_USAGE)


def parse_create(text: str) -> CreateRequest:
    """`/dexter release create <version> project:<slug>[,<slug>] [ref:…] [url:…]`."""
    f = parse_filters(text, CREATE_USAGE, allowed=("ref", "url"))
    if len(f.words) != 1:
        raise UserError("Give one version, then the options.", usage=CREATE_USAGE)
    if not f.projects:
        raise UserError("Which projects does the release belong to?", usage=CREATE_USAGE)
    refs = tuple(parse_ref(r) for r in f.options.get("ref", "").split())
    repos = [r.repository for r in refs]
    if len(set(repos)) != len(repos):
        raise UserError("Give at most one `ref:` per repository.", usage=CREATE_USAGE)
    url = check_url(f.options["url"], CREATE_USAGE) if "url" in f.options else None
    return CreateRequest(check_version(f.words[0], CREATE_USAGE), f.projects, refs, url)


def parse_deploy(text: str) -> DeployRequest:
    """`/dexter deploy <version> <environment> [name:<text>] [url:<url>] [project:<slug>]`."""
    f = parse_filters(text, DEPLOY_USAGE, allowed=("name", "url"))
    words = list(f.words)
    if f.environment and len(words) == 1:
        words.append(f.environment)
    if len(words) != 2:
        raise UserError("Give the version and the environment.", usage=DEPLOY_USAGE)
    url = check_url(f.options["url"], DEPLOY_USAGE) if "url" in f.options else None
    name = f.options.get("name")
    if name is not None and len(name) > 64:
        raise UserError("A deploy name has at most 64 characters.", usage=DEPLOY_USAGE)
    return DeployRequest(
        check_version(words[0], DEPLOY_USAGE),
        check_environment(words[1], DEPLOY_USAGE),
        name,
        url,
        f.projects,
    )


def parse_deploys(text: str) -> tuple[str | None, Filters]:
    """`/dexter deploys [<version> | env:<name>] [project:<slug>]` → (version, filters)."""
    f = parse_filters(text, DEPLOYS_USAGE)
    if len(f.words) > 1:
        raise UserError(f"Unexpected `{f.words[1][:60]}`.", usage=DEPLOYS_USAGE)
    version = check_version(f.words[0], DEPLOYS_USAGE) if f.words else None
    return version, f


def parse_subscribe(text: str) -> Filters:
    """`/dexter subscribe releases project:<slug> [env:<name>]` (the text after `releases`)."""
    f = parse_filters(text, SUBSCRIBE_USAGE)
    if f.words:
        raise UserError(f"Unexpected `{f.words[0][:60]}`.", usage=SUBSCRIBE_USAGE)
    if len(f.projects) != 1:
        raise UserError("Subscribe to one project at a time.", usage=SUBSCRIBE_USAGE)
    return f
