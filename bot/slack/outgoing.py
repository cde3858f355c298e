"""The last line of defence: nothing Dexter sends to Slack carries a broadcast or a forged link.

Escaping is the default everywhere upstream (bot/core/mrkdwn.py, docs/mrkdwn.md); this checks
what actually leaves, in the two places every message goes through: the Web API client
(`SafeWebClient`, the base of every client Dexter makes or retypes) and the response_url
(`SafeRespond`, what `respond` is in every listener). In each mrkdwn text (a message's
`text`, a file's `initial_comment`, attachments, and every `{"type": "mrkdwn"}` object in
blocks, views and unfurls) a `<…>` sequence passes only if it is

- a user or channel mention with a well-formed id (`<@U…>`, `<#C…>`, as `mrkdwn.user()`
  and `mrkdwn.channel()` make them), or a `<!date^…>`;
- a link that `mrkdwn.link()` made in this process.

Anything else — `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, a link Dexter did
not make — is escaped (shown as text) and logged. Plain-text fields are not read as mrkdwn
by Slack and are left alone. The cost is one `"<" in text` per string when there is nothing
to check (bench/bench_slack_out.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook import WebhookResponse

from bot.core import mrkdwn

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"<([^<>]*)>")
_ALLOWED = re.compile(
    r"@[UWB][A-Z0-9]+(?:\|[^|]*)?"  # <@U123> (Slack may add |name)
    r"|#[CGD][A-Z0-9]+(?:\|[^|]*)?"  # <#C123>
    # <!date^1700000000^{date_short}|fallback>; never with a 4th `^link` part (a link)
    r"|!date\^\d+\^[^|^]*(?:\|[^|]*)?",
    re.DOTALL,
)
# Top-level arguments and attachment fields Slack reads as mrkdwn.
_TEXT_ARGS = ("text", "initial_comment")
_ATTACHMENT_TEXTS = ("text", "pretext", "footer", "fallback")

Refused = Callable[[str, str], None]


def _log_refusal(token: str, where: str) -> None:
    log.warning("refused %r in %s: not made by mrkdwn.link/user/channel", token[:80], where)


def check_text(text: str, where: str, on_refused: Refused = _log_refusal) -> str:
    """`text` with every `<…>` that Dexter did not make escaped (and reported)."""
    if "<" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        token, inner = m.group(0), m.group(1)
        if _ALLOWED.fullmatch(inner):
            return token
        if inner.startswith(("http://", "https://")) and mrkdwn.is_issued_link(token):
            return token
        on_refused(token, where)
        return mrkdwn.escape(token)

    checked = _TOKEN.sub(one, text)
    if checked == text:
        return text
    return mrkdwn.Mrkdwn(checked) if isinstance(text, mrkdwn.Mrkdwn) else checked


def check_blocks(node: Any, where: str, on_refused: Refused = _log_refusal) -> Any:
    """Blocks, a view or unfurls with every mrkdwn text object checked (a copy if changed)."""
    if isinstance(node, list):
        items = [check_blocks(v, where, on_refused) for v in node]
        return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
    if not isinstance(node, dict):
        to_dict = getattr(node, "to_dict", None)  # slack_sdk Block / View objects
        return check_blocks(to_dict(), where, on_refused) if callable(to_dict) else node
    changed: dict[str, Any] = {}
    for key, value in node.items():
        if isinstance(value, dict | list) or hasattr(value, "to_dict"):
            new = check_blocks(value, where, on_refused)
        elif key == "text" and isinstance(value, str) and node.get("type") == "mrkdwn":
            new = check_text(value, where, on_refused)
        else:
            continue
        if new is not value:
            changed[key] = new
    return {**node, **changed} if changed else node


def _check_attachments(items: Any, where: str, on_refused: Refused) -> Any:
    if not isinstance(items, list):
        return items
    out = []
    for att in items:
        if isinstance(att, dict):
            att = dict(att)
            for key in _ATTACHMENT_TEXTS:
                if isinstance(att.get(key), str):
                    att[key] = check_text(att[key], where, on_refused)
            if "blocks" in att:
                att["blocks"] = check_blocks(att["blocks"], where, on_refused)
        out.append(att)
    return out


def check_message(
    args: dict[str, Any], where: str, on_refused: Refused = _log_refusal
) -> dict[str, Any]:
    """A message's arguments (text, blocks, attachments, view, unfurls…) checked."""
    out = dict(args)
    for key, value in args.items():
        if key in _TEXT_ARGS and isinstance(value, str):
            out[key] = check_text(value, where, on_refused)
        elif key == "attachments":
            out[key] = _check_attachments(value, where, on_refused)
        elif isinstance(value, dict | list):
            out[key] = check_blocks(value, where, on_refused)
    return out


class SafeWebClient(AsyncWebClient):
    """A Web API client whose every call is checked by `check_message` before it leaves."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Check the arguments of a call (posting or not; reads carry no mrkdwn), then call."""
        for part in ("json", "params", "data"):
            value = kwargs.get(part)
            if isinstance(value, dict) and value:
                kwargs[part] = check_message(value, api_method)
        return await super().api_call(api_method, **kwargs)


class SafeRespond(AsyncRespond):
    """Bolt's `respond` with the answer checked by `check_message` before it leaves."""

    async def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        if args:  # respond("text") or respond({whole message})
            first = args[0]
            if isinstance(first, str):
                first = check_text(first, "respond")
            elif isinstance(first, dict):
                first = check_message(first, "respond")
            args = (first, *args[1:])
        return await super().__call__(*args, **check_message(kwargs, "respond"))


def make_safe(respond: Any) -> Any:
    """Retype Bolt's own `respond` (made per request) as `SafeRespond`; others are unchanged."""
    if type(respond) is AsyncRespond:
        respond.__class__ = SafeRespond
    return respond
