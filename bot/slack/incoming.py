"""Text a person typed in Slack, as Slack delivers it, turned back into what they typed.

Slack sends message text in its wire form (docs: "Formatting text for app surfaces"):
`&`, `<`, `>` as entities, mentions as `<@U…>` / `<#C…|name>` / `<!here>`, links as
`<url>` or `<url|label>`. Anything Dexter forwards to Sentry (thread replies as comments)
should read as typed there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.core.mrkdwn import unescape

_TOKEN = re.compile(r"<([^<>]*)>")
USER_IDS = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def _plain(token: str, names: Mapping[str, str]) -> str:
    body, _, label = token.partition("|")
    if body.startswith("@"):
        uid = body[1:]
        return "@" + (names.get(uid) or label or uid)
    if body.startswith("#"):
        return "#" + (label or body[1:])
    if body.startswith("!"):
        special = body[1:].split("^", 1)[0]
        if special.startswith("date"):
            return label or ""
        if special.startswith("subteam"):
            return label or "@group"
        return "@" + special  # here, channel, everyone
    if body.startswith("mailto:"):
        return label or body.removeprefix("mailto:")
    return f"{label} ({body})" if label and label != body else body


def typed_text(text: str, names: Mapping[str, str]) -> str:
    """What the person typed: mentions as @name (`names`: user id → display name), links as
    `label (url)`, entities as characters."""
    return unescape(_TOKEN.sub(lambda m: _plain(m.group(1), names), text))


def mentioned_users(text: str) -> list[str]:
    """The user ids `text` mentions, in order, once each."""
    return list(dict.fromkeys(USER_IDS.findall(text)))
