"""Fixtures for the triage tests: a stateful Sentry organisation and known Slack users."""

from __future__ import annotations

import pytest
import respx

from tests.fake_slack import FakeSlack
from tests.sentry_org import SentryOrg, add_slack_users


@pytest.fixture
def org(sentry: respx.MockRouter, slack: FakeSlack) -> SentryOrg:
    """Issue 1 (`BACKEND-1`, project backend owned by #core) and the org's people."""
    add_slack_users(slack)
    o = SentryOrg(sentry).install()
    o.add(1)
    return o
