"""What reached the fake Slack, read as Slack reads mrkdwn: no broadcast, no stray markup.

`violations(fake)` walks every Web API call and response_url answer the fake received and
returns each `<…>` sequence in a mrkdwn text that Dexter never legitimately sends: anything
but a user/channel mention with an id, a `<!date^…>`, or an http(s) link whose URL has no
space, quote or angle bracket. The `slack` fixture (tests/conftest.py) asserts there are
none after every test; tests/core/test_mrkdwn_injection.py proves this check fails on a bad one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.fake_slack import FakeSlack

_TOKEN = re.compile(r"<([^<>]*)>")
_OK = re.compile(
    r"@[UWB][A-Z0-9]+(?:\|[^|]*)?"
    r"|#[CGD][A-Z0-9]+(?:\|[^|]*)?"
    r"|!date\^\d+\^[^|^]*(?:\|[^|]*)?"
    r"|https?://[^\s<>|\"]+(?:\|[^|]*)?",
    re.DOTALL,
)
_TEXT_KEYS = ("text", "initial_comment", "pretext")


def mrkdwn_texts(node: Any, top: bool = True) -> Iterator[str]:
    """Every string in a message that Slack reads as mrkdwn."""
    if isinstance(node, list):
        for v in node:
            yield from mrkdwn_texts(v, top=False)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(value, dict | list):
            yield from mrkdwn_texts(value, top=False)
        elif isinstance(value, str) and key in _TEXT_KEYS:
            kind = node.get("type")
            if kind == "mrkdwn" or (top and kind is None) or key != "text":
                yield value


def bad_tokens(text: str) -> list[str]:
    """The `<…>` sequences of one mrkdwn text that Dexter must never send."""
    return [m.group(0) for m in _TOKEN.finditer(text) if not _OK.fullmatch(m.group(1))]


def violations(fake: FakeSlack) -> list[str]:
    """`method: token` for every bad sequence the fake received."""
    found: list[str] = []
    for call in fake.calls:
        for text in mrkdwn_texts(call.args):
            found += [f"{call.method}: {t}" for t in bad_tokens(text)]
    for body in fake.responses:
        for text in mrkdwn_texts(body):
            found += [f"response_url: {t}" for t in bad_tokens(text)]
    return found
