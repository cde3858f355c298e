"""Property tests: no input a user (or a forger with the signing secret) sends crashes Dexter."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis.asyncio as aioredis
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from bot.app import create_app
from bot.core.errors import UserError
from bot.core.ids import Action, Callback
from bot.core.parse import parse_issue_search
from bot.core.store import Store
from bot.deps import build_deps
from bot.pipeline.observe import classify
from bot.pipeline.service import Pipeline
from bot.pipeline.worker import LOOPS
from bot.sentry.refs import parse_issue_ref
from bot.server import bolt_request
from bot.slack.command_table import Dispatcher
from handlers import commands, workspaces
from handlers.triage import issues
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.settings_factory import SLACK_SIGNING_SECRET, make_settings

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | words,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(words, inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(words)
def test_issue_search_parser_only_raises_user_errors(text: str) -> None:
    with contextlib.suppress(UserError):
        parse_issue_search(text)


@FUZZ
@given(words)
def test_issue_ref_parser_only_raises_user_errors(text: str) -> None:
    with contextlib.suppress(UserError):
        parse_issue_ref(text)


@FUZZ
@given(words)
def test_dispatcher_matches_or_suggests(text: str) -> None:
    table = Dispatcher([*commands.COMMANDS, *issues.COMMANDS, *workspaces.COMMANDS])
    match = table.match(text)
    if match is None:
        table.suggest(text)
    else:
        assert text.strip().lower().startswith(match.command.name.split()[0])


body_keys = st.sampled_from(["command", "text", "type", "actions", "view", "event"]) | words


@FUZZ
@given(
    st.dictionaries(body_keys, json_values, max_size=6),
    st.sampled_from(["block_actions", "view_submission", "event_callback", "shortcut"]),
)
def test_classify_any_body(body: dict[str, Any], kind: str) -> None:
    body.setdefault("type", kind)
    kind, name = classify(body, None)
    assert kind and name and len(name) <= 64


@dataclass
class Rig:
    loop: asyncio.AbstractEventLoop
    app: Any
    errors: list[logging.LogRecord]
    slack: FakeSlack
    pipeline: Pipeline


class _Collect(logging.Handler):
    def __init__(self, out: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        self.out.append(record)


@pytest.fixture
def rig(embedded_redis: Any) -> Iterator[Rig]:
    """The real app in a loop of its own (hypothesis drives it synchronously)."""
    loop = asyncio.new_event_loop()
    url = os.environ.get("REDIS_URL")
    prefix = f"fuzz:{uuid.uuid4().hex[:8]}:"
    errors: list[logging.LogRecord] = []
    handler = _Collect(errors)
    logging.getLogger().addHandler(handler)
    router = respx.mock(base_url="https://sentry.io/api/0/", assert_all_called=False)
    router.get(path__regex=r".*/projects/$").respond(200, json=[f.project()])
    router.get(path__regex=r".*/issues/$").respond(200, json=[f.issue(1)])
    router.get(path__regex=r".*").respond(404, json={"detail": "not found"})
    router.route().mock(side_effect=httpx.ConnectError("offline"))

    async def setup() -> tuple[Any, FakeSlack, Pipeline]:
        fake = await FakeSlack().start()
        client = (
            aioredis.Redis.from_url(url)
            if url
            else aioredis.Redis(unix_socket_path=embedded_redis.socket_file)
        )

        async def no_sleep(_: float) -> None:
            return None

        # one attempt: a listener that raises is dead-lettered at once, not retried later
        deps = await build_deps(
            make_settings(fake, DEXTER_SECRET_KEY="k" * 32, DEXTER_JOB_ATTEMPTS="1"),
            store=Store(client, prefix=prefix),
            sleep=no_sleep,
        )
        app = create_app(deps.settings, deps)
        assert deps.pipeline is not None
        await deps.pipeline.start()
        return app, fake, deps.pipeline

    with router:
        app, fake, pipeline = loop.run_until_complete(setup())
        yield Rig(loop, app, errors, fake, pipeline)
        loop.run_until_complete(_drain())
        loop.run_until_complete(pipeline.stop())
        loop.run_until_complete(fake.stop())
    logging.getLogger().removeHandler(handler)
    loop.close()


async def _drain() -> None:
    me = asyncio.current_task()
    # the worker's own loops run until it stops; everything else must end
    pending = [t for t in asyncio.all_tasks() if t is not me and not t.get_name().startswith(LOOPS)]
    if pending:
        await asyncio.wait(pending, timeout=5)


def _dispatch(rig: Rig, body: str, content_type: str) -> int:
    headers = {"content-type": [content_type]}
    ts = str(int(__import__("time").time()))
    sig = SignatureVerifier(SLACK_SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    headers |= {"x-slack-request-timestamp": [ts], "x-slack-signature": [sig or ""]}

    async def go() -> int:
        req = bolt_request(body, headers)  # exactly what the HTTP server does
        if req is None:
            return 400
        resp = await rig.app.async_dispatch(req)
        await rig.pipeline.idle()  # the job the request became has run
        await _drain()
        return int(resp.status)

    return rig.loop.run_until_complete(go())


@FUZZ
@given(text=words)
def test_any_command_text_is_answered_without_crashing(rig: Rig, text: str) -> None:
    form = {
        "command": "/dexter",
        "text": text,
        "team_id": "T1",
        "user_id": "U1",
        "channel_id": "C1",
        "response_url": rig.slack.response_url(),
        "trigger_id": uuid.uuid4().hex,
    }
    assert _dispatch(rig, urlencode(form), "application/x-www-form-urlencoded") == 200
    assert rig.errors == []


@FUZZ
@given(
    kind=st.sampled_from(["block_actions", "view_submission", "block_suggestion", "shortcut", "x"]),
    action=st.sampled_from([*Action, "unknown"]),
    value=words | json_values.map(json.dumps),
    extra=st.dictionaries(words, json_values, max_size=3),
)
def test_any_interaction_payload_is_handled(
    rig: Rig, kind: str, action: str, value: str, extra: dict[str, Any]
) -> None:
    payload: dict[str, Any] = {
        **extra,
        "type": kind,
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "api_app_id": "A1",
        "response_url": rig.slack.response_url(),
        "trigger_id": uuid.uuid4().hex,
        "actions": [{"action_id": action, "block_id": "b", "value": value}],
        "action_id": action,
        "view": {
            "id": "V1",
            "type": "modal",  # without it Bolt refuses every view_submission before a listener
            "callback_id": Callback.SENTRY_SETUP.value,
            "state": {"values": {"setup_url": {"value": {"value": value}}}},
        },
    }
    status = _dispatch(
        rig, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert status < 500
    assert rig.errors == [], [
        f"{kind} {action}: {r.exc_info[1]!r}" for r in rig.errors if r.exc_info
    ]


@FUZZ
@given(body=words)
def test_garbage_bodies_are_refused_cleanly(rig: Rig, body: str) -> None:
    assert _dispatch(rig, body + " " + uuid.uuid4().hex, "application/json") < 500
    assert rig.errors == []
