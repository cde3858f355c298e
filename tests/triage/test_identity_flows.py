"""`/dexter link | unlink | whoami` and how links gate changes."""

from __future__ import annotations

from typing import Any

from bot.core import messages
from bot.core.mrkdwn import escape
from bot.deps import Deps
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg


async def reply(slack: FakeSlack, n: int) -> dict[str, Any]:
    return (await slack.wait_for("response", n))[-1]


def text_of(r: dict[str, Any]) -> str:
    parts = [r.get("text") or ""]
    for b in r.get("blocks") or []:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        parts += [e.get("text", "") for e in b.get("elements") or []]
    return "\n".join(parts)


async def test_link_matches_the_verified_email(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("link")
    r = await reply(slack, 1)
    assert r["text"] == messages.LINKED.format(name="Ann Example", email="ann@acme.io")
    assert r["response_type"] == "ephemeral"


async def test_link_explains_a_missing_member(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("link", user="U9")
    r = await reply(slack, 1)
    assert r["text"] == messages.LINK_NO_MEMBER.format(email="x@else.io", org="acme")


async def test_unverified_slack_email_does_not_link(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    slack.users["U1"]["is_email_confirmed"] = False
    await bot.command("link")
    r = await reply(slack, 1)
    assert r["text"] == messages.LINK_NO_EMAIL


async def test_a_slack_failure_is_said_and_never_remembered(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    slack.on("users.info", {"ok": False, "error": "internal_error"})
    await bot.command("link")
    first = (await reply(slack, 1))["text"]
    assert first.startswith(messages.SLACK_UNAVAILABLE.split("(ref")[0])
    assert first != messages.LINK_NO_EMAIL
    del slack.overrides["users.info"]  # Slack answers again: asked again, not a cached "{}"
    await bot.command("link")
    second = (await reply(slack, 2))["text"]
    assert second == messages.LINKED.format(name="Ann Example", email="ann@acme.io")


async def test_whoami_shows_link_role_teams_and_scope(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("whoami")
    text = text_of(await reply(slack, 1))
    assert "Ann Example" in text and "ann@acme.io" in text and "by email match" in text
    assert "*Role:* member · *Teams:* #core" in text
    assert "projects your teams own: `backend`" in text
    await bot.command("whoami", user="U3")
    text = text_of(await reply(slack, 2))
    assert "As admin you may change issues in every project" in text
    await bot.command("whoami", user="U9")
    text = text_of(await reply(slack, 3))
    # whoami changes nothing: it says what is missing, not "to change things"
    assert text == escape(
        messages.WHOAMI_NOT_LINKED.format(
            why=messages.LINK_NO_MEMBER.format(org="acme", email="x@else.io")
        )
    )
    assert "change things" not in text


async def test_admin_links_someone_explicitly(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    slack.users["U3"]["is_admin"] = True
    # U9's Slack email is not in Sentry; an admin vouches that U9 is bob
    await bot.command("link <@U9|x> bob@acme.io", user="U3")
    r = await reply(slack, 1)
    assert r["text"] == messages.LINKED_OTHER.format(
        user="U9", name="Bob Builder", email="bob@acme.io"
    )
    await bot.command("whoami", user="U9")
    assert "linked to Sentry member *Bob Builder*" in text_of(await reply(slack, 2))
    assert "by <@U3>" in text_of(await reply(slack, 2))
    # and U9 may now change what bob may change
    org.add(5, proj=_payments())
    await bot.command("resolve 5", user="U9")
    await reply(slack, 3)
    assert org.puts == [(["5"], {"status": "resolved", "statusDetails": {}})]


async def test_dexter_admins_setting_grants_linking(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deps: Deps, monkeypatch: Any
) -> None:
    monkeypatch.setattr(deps.settings, "admins", "U2")
    await bot.command("link <@U9> carol@acme.io", user="U2")
    r = await reply(slack, 1)
    assert r["text"].startswith("Linked <@U9> to Sentry member Carol Admin")


async def test_non_admins_cannot_link_others(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("link <@U9|x> carol@acme.io", user="U1")
    r = await reply(slack, 1)
    assert r["text"] == messages.LINK_ADMIN_ONLY
    await bot.command("link <@U9|x> nobody@acme.io", user="U1")
    r = await reply(slack, 2)
    assert r["text"] == messages.LINK_ADMIN_ONLY  # refused before looking anyone up
    await bot.command("link ann", user="U1")
    r = await reply(slack, 3)
    assert "Usage: `/dexter link [@user &lt;sentry-email&gt;]`" in r["text"]


async def test_unlink_stops_automatic_relinking_until_link(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("link")
    await reply(slack, 1)
    await bot.command("unlink")
    r = await reply(slack, 2)
    assert r["text"] == messages.UNLINKED.format(email="ann@acme.io")
    await bot.command("resolve 1")
    r = await reply(slack, 3)
    assert r["text"] == escape(messages.NOT_LINKED.format(why=messages.LINK_OPTED_OUT))
    assert org.puts == []
    await bot.command("link")
    await reply(slack, 4)
    await bot.command("resolve 1")
    r = await reply(slack, 5)
    assert r["text"].startswith("Resolved")
    assert len(org.puts) == 1


async def test_unlinking_someone_else_needs_an_admin(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("link", user="U2")
    await reply(slack, 1)
    await bot.command("unlink <@U2|bob>", user="U1")
    assert (await reply(slack, 2))["text"] == messages.LINK_ADMIN_ONLY
    slack.users["U3"]["is_admin"] = True
    await bot.command("unlink <@U2|bob>", user="U3")
    r = await reply(slack, 3)
    assert r["text"] == messages.UNLINKED_OTHER.format(user="U2", email="bob@acme.io")


def _payments() -> dict[str, Any]:
    from tests.sentry_org import PAYMENTS

    return PAYMENTS
