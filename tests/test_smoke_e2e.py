from __future__ import annotations

import respx
from httpx import Response

from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver


async def test_issues_list(bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter) -> None:
    sentry.get("organizations/acme/issues/").mock(
        return_value=Response(
            200,
            json=[f.issue(1), f.issue(2)],
            headers=f.link_header("organizations/acme/issues/", "0:10:0"),
        )
    )
    reply = await bot.command("issues level:error")
    assert reply.status == 200
    [resp] = await slack.wait_for("response")
    print(resp)
    assert resp["response_type"] == "ephemeral"
