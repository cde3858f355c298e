"""Parse the ways a user names an issue: numeric id, short id, or a Sentry issue URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from bot.core.errors import UserError

REF_USAGE = "an issue id (`12345`), a short id (`BACKEND-1A`) or a Sentry issue URL"

_SHORT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*-[A-Za-z0-9]+$")
_SLACK_LINK = re.compile(r"^<([^|>]+)(?:\|[^>]*)?>$")
# /organizations/<org>/issues/<id>/  or  /<org>/<project>/issues/<id>/  or  /issues/<id>/
_ISSUE_PATH = re.compile(
    r"^/(?:organizations/(?P<org>[^/]+)/|(?P<org2>[^/]+)/[^/]+/)?issues/(?P<id>\d+)(?:/.*)?$"
)


@dataclass(frozen=True, slots=True)
class IssueRef:
    """Exactly one of `issue_id` or `short_id` is set; `org` when a URL named one."""

    issue_id: str | None = None
    short_id: str | None = None
    org: str | None = None
    host: str | None = None

    def __str__(self) -> str:
        return self.issue_id or self.short_id or "?"


def unwrap_slack_link(text: str) -> str:
    """`<https://x|label>` → `https://x` (Slack escapes links in command text this way)."""
    m = _SLACK_LINK.match(text.strip())
    return m.group(1) if m else text.strip()


def parse_issue_url(url: str) -> IssueRef | None:
    """An IssueRef from a Sentry issue URL (SaaS or self-hosted), or None if it is not one."""
    try:
        parsed = urlparse(url)
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    m = _ISSUE_PATH.match(parsed.path or "/")
    if not m:
        return None
    org = m.group("org") or m.group("org2")
    host = parsed.hostname.lower()
    if org is None and host.endswith(".sentry.io"):
        sub = host.removesuffix(".sentry.io")
        org = sub if sub not in ("us", "de", "www") else None
    return IssueRef(issue_id=m.group("id"), org=org, host=host)


def parse_issue_ref(text: str) -> IssueRef:
    """Parse user input into an IssueRef or raise UserError with the accepted forms."""
    raw = unwrap_slack_link(text)
    if not raw:
        raise UserError("Which issue? Give " + REF_USAGE + ".")
    if raw.isdigit():
        return IssueRef(issue_id=raw.lstrip("0") or "0")
    if raw.startswith(("http://", "https://")):
        ref = parse_issue_url(raw)
        if ref is None:
            raise UserError(f"`{raw}` is not a Sentry issue URL. Give " + REF_USAGE + ".")
        return ref
    if _SHORT_ID.match(raw):
        return IssueRef(short_id=raw.upper())
    raise UserError(f"`{raw}` is not an issue reference. Give " + REF_USAGE + ".")


def parse_ref_argument(args: str, usage: str) -> IssueRef:
    """The issue named by a command's first word; the UserError carries the command's usage."""
    words = args.split()
    try:
        return parse_issue_ref(words[0] if words else "")
    except UserError as exc:
        raise UserError(exc.message, usage=usage) from None
