"""No text from a user or from Sentry can mention @channel, ping anyone or forge a link.

Hostile text (`<!channel>`, `<!here>`, `<@U1>`, `<http://e.example|x>`, `&`, backticks…)
is pushed through every template (tests/template_contexts.py), the message fallback, every
error reply and the card notes; what Slack would read as markup must be only what Dexter
made, and the text must still show what was typed (escaped once, not twice).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import errors, messages, mrkdwn
from bot.slack.render import TEMPLATES, Renderer, fallback_text
from bot.triage.parse import Assign, Ignore, Resolve
from bot.triage.wording import describe, status_note
from handlers.error_replies import describe as describe_error
from tests.slack_wire import bad_tokens, mrkdwn_texts
from tests.template_contexts import CONTEXTS

R = Renderer()
INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U1>",
    "<#C1>",
    "<http://e.example|x>",
    "<https://e.example>",
    "<!subteam^S1>",
    "&",
    "&amp;",
    "&lt;",
    "`",
    "|",
    "<",
    ">",
]
# At least one injection, so a payload is never a valid user id or URL of its own.
payloads = st.builds(
    lambda before, inj, after: before + inj + after,
    st.text(alphabet="ab *_:.-`|&<>", max_size=6),
    st.sampled_from(INJECTIONS),
    st.text(alphabet="ab *_:.-`|&<>!@#", max_size=6),
)
_LOOSE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def assert_safe(text: str) -> None:
    """One mrkdwn text as Slack reads it: no broadcast, no mention, no foreign link."""
    assert "<!" not in text.replace("<!date^", ""), text
    assert "<@" not in text and "<#" not in text, text
    assert "<http://e.example" not in text and "<https://e.example" not in text, text
    assert bad_tokens(text) == [], text
    assert not _LOOSE_AMP.search(text), f"raw & in {text!r}"


def shown(text: str) -> str:
    """What Slack displays for a mrkdwn text (links by their label)."""
    return mrkdwn.plain(mrkdwn.Mrkdwn(text))


def all_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [t for v in node.values() for t in all_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in all_texts(v)]
    return [node] if isinstance(node, str) else []


def template_names() -> list[str]:
    root = Path(TEMPLATES)
    return sorted(
        str(p.relative_to(root)).removesuffix(".json.j2") for p in root.rglob("*.json.j2")
    )


def test_every_template_has_a_hostile_context() -> None:
    missing = set(template_names()) - set(CONTEXTS)
    assert not missing, f"add these to tests/template_contexts.py: {sorted(missing)}"
    assert not set(CONTEXTS) - set(template_names()), "contexts for templates that are gone"


@pytest.mark.parametrize("name", template_names())
@settings(max_examples=25, deadline=None)
@given(payload=payloads)
def test_no_control_sequence_survives_any_template(name: str, payload: str) -> None:
    out = R.render(name, **CONTEXTS[name](payload))
    texts = list(mrkdwn_texts(out, top=False))  # none in a form of plain inputs only
    for text in texts:
        assert_safe(text)
    blocks = out["blocks"] if isinstance(out, dict) else out
    assert_safe(fallback_text(blocks))
    # escaped exactly once: the payload still shows as typed somewhere (mrkdwn or plain text)
    everything = [shown(t) for t in texts] + all_texts(out)
    assert any(payload.strip() in t for t in everything), f"{name} lost {payload!r}"


@settings(max_examples=60, deadline=None)
@given(payload=payloads)
def test_error_replies_echo_input_escaped(payload: str) -> None:
    cases: list[BaseException] = [
        errors.UserError(f"`{payload}` is not a number."),
        errors.UserError(messages.BULK_NONE.format(query=payload)),
        errors.UserError(messages.UNKNOWN_COMMAND.format(word=payload)),
        errors.UserError("Which team?", usage=payload),
        errors.NotLinked(payload),
        errors.PermissionDenied(payload),
        errors.SentryBadRequest(payload),
        errors.SentryNotFound(payload),
        errors.SentryForbidden(payload),
    ]
    for exc in cases:
        text = describe_error(exc)
        assert_safe(text)
        assert payload in mrkdwn.unescape(text)


@settings(max_examples=60, deadline=None)
@given(payload=payloads)
def test_card_notes_and_activity_lines_are_escaped(payload: str) -> None:
    changes = [
        Resolve(when="release", version=payload),
        Assign(assignee=f"user:{payload}", label=payload),
        Ignore(until="forever"),
    ]
    for change in changes:
        line = mrkdwn.format(messages.ACTIVITY_LINE, what=describe(change), user="U1", when="now")
        assert_safe(line.replace("<@U1>", ""))
        assert line.count("<@U1>") == 1
    note = status_note("resolved", {"inRelease": payload})
    assert note is not None
    blocks = R.blocks(
        "triage/issue_card", **(CONTEXTS["triage/issue_card"]("x") | {"notes": [note]})
    )
    assert any(payload in shown(t) for t in mrkdwn_texts(blocks, top=False))


@settings(max_examples=80, deadline=None)
@given(tail=payloads, label=payloads)
def test_link_accepts_only_http_urls_and_keeps_them_inside(tail: str, label: str) -> None:
    made = mrkdwn.link("http://x.example/a" + tail, label)
    assert made.startswith("<http://x.example/a") and made.endswith(">")
    inner = made[1:-1]
    assert "<" not in inner and ">" not in inner and inner.count("|") == 1
    assert bad_tokens(made) == [] and not _LOOSE_AMP.search(made)
    assert mrkdwn.is_issued_link(made)
    for scheme in ("javascript:alert(1)", "mailto:a@b.example", "<!here>", tail):
        assert not mrkdwn.link(scheme, label).startswith("<")
