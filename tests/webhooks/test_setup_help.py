"""Setting the integration up: `dexter sentry-integration`, and the Socket Mode endpoint."""

from __future__ import annotations

import json
import re

from aiohttp.test_utils import TestClient, TestServer

from bot.deps import Deps
from bot.server import webhook_app
from bot.webhooks.receiver import PATH
from tests.paths import REPO
from tests.project.test_cli import dexter
from tests.webhook_payloads import envelope, signed

README = (REPO / "README.md").read_text()


def test_the_cli_prints_the_url_resources_and_permissions() -> None:
    out = dexter("sentry-integration", "--url", "https://bot.acme.com/", "--json")
    assert out.returncode == 0, out.stderr
    cfg = json.loads(out.stdout)
    assert cfg["webhook_url"] == "https://bot.acme.com" + PATH
    assert cfg["webhooks"] == ["issue", "comment"]
    [action] = cfg["schema"]["elements"]
    assert action["type"] == "alert-rule-action"
    assert [f["name"] for f in action["settings"]["required_fields"]] == ["channel"]
    # the same permissions the README's set-up table asks for
    table = dict(re.findall(r"^   \| ([A-Z][\w &]+) \| (Read & Write|Read|Admin) \|", README, re.M))
    assert cfg["permissions"] == table


def test_the_cli_reads_the_public_url_from_the_environment() -> None:
    out = dexter("sentry-integration", env={"DEXTER_PUBLIC_URL": "https://d.example.org"})
    assert out.returncode == 0, out.stderr
    assert "Webhook URL:  https://d.example.org/sentry/webhook" in out.stdout
    bad = dexter("sentry-integration", "--url", "not a url")
    assert bad.returncode == 2


async def test_socket_mode_serves_the_webhook_alone(deps: Deps) -> None:
    async with TestClient(TestServer(webhook_app(deps))) as client:
        body, headers = signed(envelope("resolved", {}), "issue", secret="forged")
        assert (await client.post(PATH, data=body, headers=headers)).status == 401
        assert (await client.post("/slack/events", data=b"")).status == 404
        assert (await client.get("/healthz")).status == 200


def test_check_says_where_sentry_should_post() -> None:
    from bot.checks import check_webhooks
    from tests.settings_factory import make_settings

    assert check_webhooks(make_settings()) is None  # off: nothing to say
    on = check_webhooks(
        make_settings(SENTRY_CLIENT_SECRET="s3cret-value", DEXTER_PUBLIC_URL="https://d.acme.io")
    )
    assert on is not None and on.ok
    assert on.detail.endswith("Webhook URL is https://d.acme.io/sentry/webhook")
    assert "s3cret-value" not in on.detail
