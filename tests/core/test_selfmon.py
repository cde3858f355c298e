"""Self-monitoring with sentry-sdk: Dexter's own errors are reported with secrets scrubbed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from bot.core.logs import register_secret
from bot.selfmon import before_send, init_self_monitoring, scrub
from tests.settings_factory import SECRETS, make_settings


class Capture(Transport):
    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def capture() -> Iterator[Capture]:
    transport = Capture()
    yield transport
    sentry_sdk.init()  # turn the SDK off again for the other tests


def test_off_without_a_dsn() -> None:
    assert init_self_monitoring(make_settings()) is False


def test_errors_are_reported_without_secrets(capture: Capture) -> None:
    for s in SECRETS:
        register_secret(s)
    settings = make_settings(DEXTER_SENTRY_DSN="https://public@o1.ingest.sentry.io/1")
    assert init_self_monitoring(settings, transport=capture) is True
    try:
        raise RuntimeError(f"boom with {SECRETS[0]} and {SECRETS[2]} and {SECRETS[1]}")
    except RuntimeError as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush()
    assert capture.envelopes
    body = b"".join(item.payload.get_bytes() for e in capture.envelopes for item in e.items)
    assert b"RuntimeError" in body
    for secret in SECRETS:
        assert secret.encode() not in body


def test_scrub_walks_every_value() -> None:
    register_secret(SECRETS[1])
    event = {
        "message": f"token {SECRETS[0]}",
        "extra": {"nested": [SECRETS[1], {"deep": SECRETS[2]}]},
        "request": {"headers": {"Authorization": "x"}, "data": "payload", "url": "/slack/events"},
    }
    out = before_send(event, None)
    assert not any(s in json.dumps(out) for s in SECRETS)
    assert "headers" not in out["request"] and "data" not in out["request"]
    assert scrub(3) == 3
