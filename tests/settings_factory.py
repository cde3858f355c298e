"""Test credentials and `make_settings`, shared by the fixtures (tests/conftest.py) and bench/.

A plain module, not a conftest: importing it loads no pytest fixtures or plugins.
"""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Any

from bot.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from tests.fake_slack import FakeSlack

SLACK_BOT_TOKEN = "xoxb-test-bot-token-0000"
SLACK_SIGNING_SECRET = "test-signing-secret-4f2a9c"
SENTRY_TOKEN = "sntrys_test_token_5d1e7b"
SENTRY_BASE = "https://sentry.io"
SENTRY_API = f"{SENTRY_BASE}/api/0/"
ORG = "acme"
ALL_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
SECRETS = (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SENTRY_TOKEN)


def make_settings(slack: FakeSlack | None = None, **extra: Any) -> Settings:
    """Settings for the test credentials, pointed at a fake Slack (or at nothing)."""
    env: dict[str, Any] = {
        "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SENTRY_AUTH_TOKEN": SENTRY_TOKEN,
        "SENTRY_ORG": ORG,
        "SENTRY_URL": SENTRY_BASE,
        "SLACK_API_URL": slack.api_url if slack else "http://127.0.0.1:9/api/",
        "DEXTER_DATA_DIR": tempfile.gettempdir(),
    }
    env.update(extra)
    return load_settings(_env_file=None, **env)
