"""Issue 11, end to end: what a user types or Sentry returns never becomes markup in Slack.

Each case sends the hostile text the way Slack delivers it (a typed `@channel` arrives as
`<!channel>`) and checks what the fake Slack received. The `slack` fixture also fails a
test whose messages carry such markup or that needed bot/slack/outgoing.py to refuse it.
"""

from __future__ import annotations

import pytest
import respx

from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg, release
from tests.slack_wire import bad_tokens, mrkdwn_texts
from tests.triage.test_card_actions import context_text, post_card


def assert_clean(texts: list[str]) -> None:
    for text in texts:
        assert "<!channel>" not in text and "<!here>" not in text, text
        assert bad_tokens(text) == [], text


async def test_resolved_in_a_hostile_release_is_shown_not_broadcast(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    # `/dexter resolve 1001 in <!channel>` → every later card showed "Resolved in release
    # `<!channel>`" raw, in the card note and in the activity line
    org.releases = [release("<!channel>")]
    await post_card(bot, slack)
    await bot.command("resolve 1 in <!channel>")
    [reply] = await slack.wait_for("response")
    assert_clean([reply["text"]])
    assert "`&lt;!channel&gt;`" in reply["text"]
    updates = await slack.wait_for("chat.update")
    notes = context_text(updates[-1].args["blocks"])
    assert_clean([notes, updates[-1].args["text"]])
    assert "Resolved in `&lt;!channel&gt;` by <@U1>" in notes  # the activity line
    assert "Resolved in release `&lt;!channel&gt;`." in notes  # Sentry's status detail


async def test_card_fallback_text_escapes_the_issue_title(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    # the `text` of chat.postMessage/chat.update carried raw issue titles
    org.issues["1"]["title"] = "<!channel> boom & <http://e.example|click>"
    await post_card(bot, slack)
    [posted] = slack.of("chat.postMessage")
    assert_clean([posted.args["text"], *mrkdwn_texts(posted.args["blocks"], top=False)])
    assert "&lt;!channel&gt; boom &amp; &lt;http://e.example|click&gt;" in posted.args["text"]
    header = posted.args["blocks"][0]["text"]
    assert header == {"type": "plain_text", "text": "<!channel> boom & <http://e.example|click>"}


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("bulk resolve <!channel>", "&lt;!channel&gt;"),  # "No issues match …"
        ("<!here>", "&lt;!here&gt;"),  # unknown command
        ("ignore 1 for <!channel>", "&lt;!channel&gt;"),  # ignore duration
        ("assign 1 <!here>", "&lt;!here&gt;"),
        ("link <!channel> a@b.example", "&lt;!channel&gt;"),
        ("team <!here>", "&lt;!here&gt;"),
        ("digest subscribe team:<!channel>", "&lt;!channel&gt;"),
        ("subscribe releases project:<!here>", "&lt;!here&gt;"),
        ("discover save <!here> count()", "&lt;!here&gt;"),
        ("digest preview query:<http://e.example|x>", "&lt;http://e.example|x&gt;"),
    ],
)
async def test_error_replies_echo_what_was_typed_escaped(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    command: str,
    shown: str,
) -> None:
    sentry.get(url__regex=r"teams/acme/[^/]+/(members|projects)/$").respond(
        404, json={"detail": "The requested resource does not exist"}
    )
    await bot.command(command)
    # a bulk command first says it is working on it
    got = await slack.wait_for("response", 2 if command.startswith("bulk") else 1)
    texts: list[str] = []
    for body in got:
        texts += list(mrkdwn_texts(body))
    assert_clean(texts)
    assert any(shown in t for t in texts), texts
