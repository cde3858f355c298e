"""Safe Slack mrkdwn: escaping is the default, markup comes only from these constructors.

Slack reads `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<url|label>` in mrkdwn, and
`&`, `<`, `>` must be written `&amp;`, `&lt;`, `&gt;`. A `Mrkdwn` is text known to be safe:
every untrusted part was escaped, every link or mention was made here. Anything that is
a plain `str` is untrusted and gets escaped wherever it meets mrkdwn.

    format(TEMPLATE, name=rule.name)        # parts escaped, unless already Mrkdwn
    link(issue.permalink, issue.short_id)   # http(s) only; `<`, `>`, `|` percent-encoded
    user("U123"), channel("C123")           # mentions from validated ids only
    plain(text)                             # for plain_text fields (no mrkdwn there)

See docs/mrkdwn.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "Mrkdwn",
    "channel",
    "escape",
    "format",
    "is_issued_link",
    "join",
    "link",
    "plain",
    "truncate",
    "unescape",
    "user",
]


class Mrkdwn(str):
    """Text that is already safe mrkdwn (never build one from untrusted text directly)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Mrkdwn({str.__repr__(self)})"


def escape(text: object) -> Mrkdwn:
    """`&`, `<`, `>` as entities, so Slack shows them and reads no markup; Mrkdwn unchanged."""
    if isinstance(text, Mrkdwn):
        return text
    s = "" if text is None else str(text)
    if "&" in s or "<" in s or ">" in s:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Mrkdwn(s)


def unescape(text: str) -> str:
    """The inverse of `escape` (entities back to characters)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _part(value: Any) -> Any:
    if isinstance(value, Mrkdwn | int | float) and not isinstance(value, bool):
        return value  # numbers keep their format specs ({n:,})
    return escape(value)


def format(template: str, /, *args: Any, **parts: Any) -> Mrkdwn:
    """`template.format(...)` with every part escaped unless it is Mrkdwn (or a number).

    The template itself is trusted: a constant of Dexter's, never text from a user."""
    return Mrkdwn(
        template.format(*(_part(a) for a in args), **{k: _part(v) for k, v in parts.items()})
    )


def join(sep: str, parts: Iterable[object]) -> Mrkdwn:
    """Join parts (each escaped unless Mrkdwn) with a separator (escaped unless Mrkdwn)."""
    return Mrkdwn(escape(sep).join(escape(p) for p in parts))


# Links this process made: the last line of defence (bot/slack/outgoing.py) lets through only
# these. Insertion-ordered dict as a bounded FIFO; a re-issued link moves to the end.
_ISSUED: dict[str, None] = {}
_ISSUED_MAX = 20_000
_ENCODE = {"<": "%3C", ">": "%3E", "|": "%7C", " ": "%20", '"': "%22", "\\": "%5C"}
_ENCODE.update({chr(c): f"%{c:02X}" for c in [*range(0x20), 0x7F]})
_ENCODE_RE = re.compile("[" + re.escape("".join(_ENCODE)) + "]")


def safe_url(url: object) -> str | None:
    """An http(s) URL with `<`, `>`, `|`, quotes, spaces and control characters
    percent-encoded and `&` as `&amp;`; None for anything else (javascript:, mailto:, …)."""
    if not isinstance(url, str) or not url:
        return None
    raw = unescape(url) if isinstance(url, Mrkdwn) else url
    encoded = _ENCODE_RE.sub(lambda m: _ENCODE[m.group()], raw.strip())
    try:
        parts = urlsplit(encoded)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return encoded.replace("&", "&amp;")


def link(url: object, label: object) -> Mrkdwn:
    """`<url|label>` for an http(s) URL; the escaped label alone for no URL or any other."""
    text = escape(label).replace("|", "¦")  # the first `|` ends the URL; keep the label whole
    target = safe_url(url)
    if target is None:
        return Mrkdwn(text)
    token = f"<{target}|{text}>" if text else f"<{target}>"
    _ISSUED.pop(token, None)
    _ISSUED[token] = None
    if len(_ISSUED) > _ISSUED_MAX:
        del _ISSUED[next(iter(_ISSUED))]
    return Mrkdwn(token)


def is_issued_link(token: str) -> bool:
    """True if `link()` in this process made the markup `<…>` (recently)."""
    return token in _ISSUED


_USER_ID = re.compile(r"[UWB][A-Z0-9]{1,30}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{1,30}")


def user(user_id: object) -> Mrkdwn:
    """`<@U…>` for a Slack user id; anything that is not one is shown escaped, not mentioned."""
    s = str(user_id or "")
    return Mrkdwn(f"<@{s}>") if _USER_ID.fullmatch(s) else escape(s)


def channel(channel_id: object) -> Mrkdwn:
    """`<#C…>` for a Slack channel id; anything else is shown escaped."""
    s = str(channel_id or "")
    return Mrkdwn(f"<#{s}>") if _CHANNEL_ID.fullmatch(s) else escape(s)


_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")
_LINK = re.compile(r"<(?:[^<>|]*\|)?([^<>]*)>")


def truncate(text: object, limit: int) -> str:
    """Cut to at most `limit` characters with an ellipsis; Mrkdwn is cut without splitting
    an entity or a link and stays Mrkdwn."""
    s = "" if text is None else str(text)
    if len(s) <= limit:
        return text if isinstance(text, Mrkdwn) else s
    cut = s[: max(0, limit - 1)].rstrip()
    if not isinstance(text, Mrkdwn):
        return cut + "…"
    cut = _ENTITY_TAIL.sub("", cut)
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    return Mrkdwn(cut + "…")


def plain(text: object) -> str:
    """Text for a plain_text field: Mrkdwn is turned back into what it shows (links become
    their labels, entities characters); a plain str is already what it shows."""
    if isinstance(text, Mrkdwn):
        return unescape(_LINK.sub(lambda m: m.group(1) or "", text))
    return "" if text is None else str(text)
