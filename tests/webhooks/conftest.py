"""Fixtures for webhook tests: the app with a client secret, Sentry's issue comments, a sender."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from httpx import Response

from bot.core.settings import Settings
from tests.fake_slack import FakeSlack
from tests.harness import Reply, SlackDriver
from tests.settings_factory import make_settings
from tests.webhook_payloads import CLIENT_SECRET, signed


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack, SENTRY_CLIENT_SECRET=CLIENT_SECRET)


@dataclass
class Comments:
    """Sentry's issue comments (notes): what Dexter posted, answered like GroupNotesEndpoint."""

    posted: list[tuple[str, str]] = field(default_factory=list)  # (issue id, text)
    ids: Any = field(default_factory=lambda: itertools.count(9001))

    def create(self, request: httpx.Request, iid: str) -> Response:
        import json

        text = json.loads(request.content)["text"]
        if (iid, text) in self.posted:  # src/sentry/issues/endpoints/group_notes.py
            return Response(400, json={"detail": "You have already posted that comment."})
        self.posted.append((iid, text))
        note_id = str(next(self.ids))
        return Response(201, json={"id": note_id, "type": "note", "data": {"text": text}})


@pytest.fixture
def comments(sentry: respx.MockRouter) -> Comments:
    c = Comments()
    sentry.post(url__regex=r"organizations/acme/issues/(?P<iid>\d+)/comments/$").mock(
        side_effect=c.create
    )
    return c


Send = Callable[..., Any]


@pytest.fixture
def deliver(bot: SlackDriver) -> Send:
    """POST a delivery to /sentry/webhook (signed unless told otherwise)."""

    async def send(
        payload: dict[str, Any],
        resource: str,
        *,
        headers: dict[str, str] | None = None,
        **sign: Any,
    ) -> Reply:
        body, hdrs = signed(payload, resource, **sign)
        if headers is not None:
            hdrs = headers
        async with bot.session.post(
            f"{bot.bot_url}/sentry/webhook", data=body, headers=hdrs
        ) as resp:
            return Reply(resp.status, await resp.text(), 0.0)

    return send
