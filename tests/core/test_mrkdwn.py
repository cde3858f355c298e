"""bot/core/mrkdwn.py and its Jinja autoescape (bot/slack/mrkdwn_jinja.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import mrkdwn
from bot.core.mrkdwn import Mrkdwn
from bot.slack.render import Renderer

R = Renderer()


def render(source: str, **ctx: object) -> object:
    """A template string's `tojson` output, parsed."""
    import json

    return json.loads(R.env.from_string(source).render(**ctx))


def test_escape_is_slacks_three_entities_and_idempotent_on_mrkdwn() -> None:
    assert mrkdwn.escape("a & <b> 'c' \"d\" `e`") == "a &amp; &lt;b&gt; 'c' \"d\" `e`"
    once = mrkdwn.escape("<!channel>")
    assert isinstance(once, Mrkdwn) and mrkdwn.escape(once) is once
    assert mrkdwn.escape(None) == "" and mrkdwn.escape(42) == "42"


@given(st.text())
def test_unescape_inverts_escape(text: str) -> None:
    assert mrkdwn.unescape(mrkdwn.escape(text)) == text


def test_format_escapes_parts_not_the_template_and_keeps_numbers() -> None:
    out = mrkdwn.format(
        "<@{u}> · {name} · {n:,} · {safe}",
        u="U1",
        name="<!here>",
        n=1234,
        safe=mrkdwn.link("https://x.example", "x"),
    )
    assert out == "<@U1> · &lt;!here&gt; · 1,234 · <https://x.example|x>"
    assert isinstance(out, Mrkdwn)
    assert mrkdwn.format("{} and {}", "<a>", Mrkdwn("*b*")) == "&lt;a&gt; and *b*"


def test_join_escapes_what_is_not_mrkdwn() -> None:
    assert mrkdwn.join(", ", ["<x>", Mrkdwn("<@U1>")]) == "&lt;x&gt;, <@U1>"


@pytest.mark.parametrize(
    ("url", "made"),
    [
        (
            "https://acme.sentry.io/issues/1/?a=1&b=2",
            "<https://acme.sentry.io/issues/1/?a=1&amp;b=2|L>",
        ),
        ("http://x.example/a><!here>", "<http://x.example/a%3E%3C!here%3E|L>"),
        ("http://x.example/a|b c\n", "<http://x.example/a%7Cb%20c|L>"),
        ("HTTPS://X.example", "<HTTPS://X.example|L>"),
        (Mrkdwn("https://x.example/?a=1&amp;b=2"), "<https://x.example/?a=1&amp;b=2|L>"),
    ],
)
def test_link_accepts_http_urls_percent_encoding_what_would_break_out(url: str, made: str) -> None:
    assert mrkdwn.link(url, "L") == made
    assert mrkdwn.is_issued_link(made)


@pytest.mark.parametrize(
    "url",
    [None, "", "javascript:alert(1)", "mailto:a@b.example", "//x.example", "x.example", "<!here>"],
)
def test_link_refuses_anything_but_http_and_shows_the_label(url: str | None) -> None:
    assert mrkdwn.link(url, "<b>|c") == "&lt;b&gt;¦c"


def test_link_label_cannot_end_the_link() -> None:
    assert mrkdwn.link("https://x.example", "a|b>c<!here>") == (
        "<https://x.example|a¦b&gt;c&lt;!here&gt;>"
    )


def test_mentions_only_from_ids() -> None:
    assert mrkdwn.user("U123ABC") == "<@U123ABC>" and mrkdwn.channel("C42") == "<#C42>"
    assert mrkdwn.user("U1><!here") == "U1&gt;&lt;!here"
    assert mrkdwn.channel("<!channel>") == "&lt;!channel&gt;"
    assert mrkdwn.user(None) == ""


def test_truncate_never_splits_an_entity_or_a_link() -> None:
    text = mrkdwn.format("{} {}", "a&b", mrkdwn.link("https://x.example/long", "label"))
    cut = mrkdwn.truncate(text, 4)
    assert cut == "a…" and isinstance(cut, Mrkdwn)
    assert mrkdwn.truncate(text, 20) == "a&amp;b …"
    assert mrkdwn.truncate(text, 200) is text
    assert mrkdwn.truncate("plain & text", 7) == "plain…"


def test_plain_shows_what_mrkdwn_shows() -> None:
    made = mrkdwn.format("{} {}", "a<b", mrkdwn.link("https://x.example", "x&y"))
    assert mrkdwn.plain(made) == "a<b x&y"
    assert mrkdwn.plain("<raw> stays") == "<raw> stays"


def test_templates_escape_concatenation_output_and_mrkdwn_fields() -> None:
    source = (
        '{% set t = "*" ~ title ~ "* " ~ url|link(title) ~ " " ~ uid|user %}'
        '{{ [{"type": "section", "text": {"type": "mrkdwn", "text": t},'
        ' "fields": [{"type": "mrkdwn", "text": title}]},'
        ' {"type": "header", "text": {"type": "plain_text", "text": "v:" ~ title}},'
        ' {"type": "actions", "elements": [{"type": "button", "value": "q:" ~ title,'
        ' "text": {"type": "plain_text", "text": title}}]}]|tojson }}'
    )
    out = render(source, title="<!here>&", url="https://x.example", uid="U1")
    assert isinstance(out, list)
    section, header, actions = out
    assert section["text"]["text"] == (
        "*&lt;!here&gt;&amp;* <https://x.example|&lt;!here&gt;&amp;> <@U1>"
    )
    assert section["fields"][0]["text"] == "&lt;!here&gt;&amp;"
    # not mrkdwn: shown as typed, values round-trip exactly
    assert header["text"]["text"] == "v:<!here>&"
    assert actions["elements"][0]["value"] == "q:<!here>&"


def test_template_literals_are_text_too_and_macros_stay_safe() -> None:
    source = (
        "{% macro m(x) %}*{{ x }}* & {{ u|user }}{% endmacro %}"
        '{{ [{"type": "mrkdwn", "text": "Use <id> " ~ m(v)},'
        ' {"type": "mrkdwn", "text": items|join(", ")}]|tojson }}'
    )
    out = render(source, v="<!channel>", u="U9", items=["<a>", "b"])
    assert out == [
        {"type": "mrkdwn", "text": "Use &lt;id&gt; *&lt;!channel&gt;* &amp; <@U9>"},
        {"type": "mrkdwn", "text": "&lt;a&gt;, b"},
    ]


def test_no_filter_marks_text_safe() -> None:
    assert "safe" not in R.env.filters and "urlize" not in R.env.filters
