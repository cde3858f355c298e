"""The last line of defence (bot/slack/outgoing.py) and the `slack` fixture's wire check."""

from __future__ import annotations

import logging

import pytest

from bot.core import mrkdwn
from bot.pipeline.slack_effects import OnceRespond
from bot.slack.outgoing import SafeRespond, check_blocks, check_text, make_safe
from bot.slack.tenancy import TenantWebClient
from tests.fake_slack import Call, FakeSlack
from tests.slack_wire import violations

BAD = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S123>",
    "<http://e.example|x>",
    "<javascript:alert(1)|x>",
    "<mailto:a@b.example>",
    "<@U1><!here>",
    # a date with a 4th part is a link to it in Slack: a link Dexter never made
    "<!date^1700000000^{date_short}^https://evil.example/login|Open in Sentry>",
]


@pytest.mark.parametrize("token", BAD)
def test_broadcasts_and_foreign_links_are_escaped(token: str) -> None:
    refused: list[str] = []
    out = check_text(f"a {token} b", "test", lambda t, _: refused.append(t))
    assert "<!" not in out and "<http" not in out and "<javascript" not in out
    assert "<mailto" not in out
    assert refused, "the refusal is reported"
    assert mrkdwn.unescape(out) == f"a {token} b"  # shown as typed


def test_what_dexter_makes_passes_unchanged() -> None:
    made = mrkdwn.format(
        "{u} in {c}: {l} at <!date^1700000000^{{date_short}}|2023-11-14>",
        u=mrkdwn.user("U1"),
        c=mrkdwn.channel("C1"),
        l=mrkdwn.link("https://acme.sentry.io/issues/1/?a=1&b=2", "BACKEND-1"),
    )
    refused: list[str] = []
    assert check_text(made, "test", lambda t, _: refused.append(t)) is made
    assert refused == []


def test_a_link_not_made_by_link_is_refused_even_if_well_formed() -> None:
    # (a link identical to one link() made passes: it is that link)
    forged = "<https://forged.example/never-made-by-link|BACKEND-1>"
    assert check_text(forged, "test", lambda *_: None) == mrkdwn.escape(forged)


def test_blocks_views_and_unfurls_are_checked_but_plain_text_is_left() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "<!channel> title"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "hi <!here>"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "<@U1>"}]},
    ]
    out = check_blocks({"blocks": blocks}, "test", lambda *_: None)["blocks"]
    assert out[0] == blocks[0]  # Slack reads no markup in plain_text
    assert out[1]["text"]["text"] == "hi &lt;!here&gt;"
    assert out[2] is blocks[2]  # unchanged parts are not copied
    assert blocks[1]["text"]["text"] == "hi <!here>"  # the caller's blocks are not mutated


@pytest.mark.slack_refusals_expected
async def test_every_client_dexter_makes_refuses_on_the_way_out(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    client = TenantWebClient(token="xoxb-1", base_url=slack.api_url)
    with caplog.at_level(logging.WARNING, logger="bot.slack.outgoing"):
        await client.chat_postMessage(
            channel="C1",
            text="deploy <!channel>",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "<!here> x"}}],
        )
    sent = slack.of("chat.postMessage")[0].args
    assert sent["text"] == "deploy &lt;!channel&gt;"
    assert sent["blocks"][0]["text"]["text"] == "&lt;!here&gt; x"
    assert "<!channel>" in caplog.text and "chat.postMessage" in caplog.text


@pytest.mark.slack_refusals_expected
async def test_respond_is_checked_too(slack: FakeSlack) -> None:
    from slack_bolt.context.respond.async_respond import AsyncRespond

    bolts = make_safe(AsyncRespond(response_url=slack.response_url("r1")))
    assert isinstance(bolts, SafeRespond)
    await bolts(text="<!everyone> hi", replace_original=False)
    await OnceRespond(response_url=slack.response_url("r2"))("<!here>")
    texts = [r["text"] for r in slack.responses]
    assert texts == ["&lt;!everyone&gt; hi", "&lt;!here&gt;"]


def test_the_wire_check_finds_what_must_never_reach_slack() -> None:
    fake = FakeSlack()
    fake.calls.append(Call("chat.postMessage", {"text": "ok <@U1> <https://x.example/a|a>"}, ""))
    assert violations(fake) == []
    fake.calls.append(Call("chat.update", {"text": "x <!here>"}, ""))
    fake.responses.append(
        {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!channel>"}}]}
    )
    assert violations(fake) == ["chat.update: <!here>", "response_url: <!channel>"]
    dated_link = "<!date^1700000000^{date_short}^https://evil.example/|x>"
    fake.calls.append(Call("chat.postMessage", {"text": "<!date^1700000000^{date_short}|d>"}, ""))
    fake.calls.append(Call("chat.postMessage", {"text": dated_link}, ""))
    found = violations(fake)
    assert len(found) == 3 and f"chat.postMessage: {dated_link}" in found


INNER = """
import aiohttp

pytest_plugins = ("tests.conftest",)


async def test_raw_broadcast_reaches_the_fake(slack):
    async with aiohttp.ClientSession() as s:
        await s.post(slack.api_url + "chat.postMessage", json={"channel": "C1", "text": "<!here>"})


async def test_clean_message(slack):
    async with aiohttp.ClientSession() as s:
        body = {"channel": "C1", "text": "&lt;!here&gt;"}
        await s.post(slack.api_url + "chat.postMessage", json=body)


async def test_a_refusal_fails_a_test_not_marked(slack):
    from bot.slack.outgoing import check_text
    check_text("<!here>", "test")
"""


def test_the_slack_fixture_fails_a_test_whose_message_is_unsafe(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "-q",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    result.assert_outcomes(passed=3, errors=2)
    out = result.stdout.str()
    assert "ERROR at teardown of test_raw_broadcast_reaches_the_fake" in out
    assert "unescaped mrkdwn reached Slack" in out
    assert "ERROR at teardown of test_a_refusal_fails_a_test_not_marked" in out
    assert "ERROR at teardown of test_clean_message" not in out
