"""The one interaction context and the one listener decorator, for every listener kind."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.internals import extract_channel_id, extract_team_id, extract_user_id
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import messages
from bot.core.logs import bind_correlation_id, correlation_id
from bot.deps import Deps
from bot.pipeline.envelope import from_slack
from handlers.context import Interaction, Kind, listener

BODIES: dict[str, dict[str, Any]] = {
    "command": {
        "command": "/dexter",
        "team_id": "T1",
        "user_id": "U1",
        "channel_id": "C1",
        "trigger_id": "tr1",
        "response_url": "https://hooks.slack.com/commands/1",
    },
    "action": {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "channel": {"id": "C1"},
        "container": {"channel_id": "C1"},
        "trigger_id": "tr1",
        "response_url": "https://hooks.slack.com/actions/1",
        "actions": [{"action_id": "a", "value": "v"}],
    },
    "view": {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "trigger_id": "tr1",
        "response_urls": [{"response_url": "https://hooks.slack.com/app/1", "channel_id": "C1"}],
        "view": {"id": "V1", "callback_id": "cb"},
    },
    "options": {
        "type": "block_suggestion",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "action_id": "a",
        "value": "x",
    },
    "event": {
        "type": "event_callback",
        "team_id": "T1",
        "event": {"type": "message", "user": "U1", "channel": "C1"},
    },
}


@dataclass
class Calls:
    acks: list[dict[str, Any]] = field(default_factory=list)
    responds: list[dict[str, Any]] = field(default_factory=list)
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class _Ack(AsyncAck):
    def __init__(self, calls: Calls) -> None:
        super().__init__()
        self.calls = calls

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.calls.acks.append(kwargs)
        return await super().__call__(*args, **kwargs)


@dataclass
class _Resp:
    status_code: int = 200
    body: str = "ok"


class _Client:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.posts.append(("postMessage", kwargs))
        return {"ok": True, "channel": kwargs["channel"], "ts": "1.1"}

    async def chat_postEphemeral(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.posts.append(("postEphemeral", kwargs))
        return {"ok": True}


def _parts(
    calls: Calls, with_respond: bool, url: str | None = "https://hooks.slack.com/1"
) -> tuple[AsyncAck, AsyncRespond | None, Any]:
    class _Respond:
        response_url = url

        async def __call__(self, **kwargs: Any) -> _Resp:
            calls.responds.append(kwargs)
            return _Resp()

    return (
        _Ack(calls),
        cast(AsyncRespond, _Respond()) if with_respond else None,
        cast(AsyncWebClient, _Client(calls)),
    )


DEPS = cast(Deps, object())  # the handlers below never reach a service


@pytest.mark.parametrize("kind", ["command", "action", "view", "options", "event"])
async def test_interaction_reads_the_same_fields_from_every_body(kind: str) -> None:
    calls = Calls()
    _, respond, client = _parts(calls, True)
    ctx = Interaction(deps=DEPS, body=BODIES[kind], respond=respond, client=client)
    assert (ctx.team_id, ctx.user_id, ctx.channel_id) == (
        "T1",
        "U1",
        "C1" if kind != "view" else "",
    )
    assert ctx.trigger_id == ("tr1" if kind in ("command", "action", "view") else "")
    assert bool(ctx.response_url) == (kind in ("command", "action", "view"))


@pytest.mark.parametrize("kind", ["command", "action", "view", "options", "event"])
async def test_listener_reports_an_exception_once_with_the_correlation_id(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls = Calls()
    # Slack gives a response_url to commands and message buttons; not to modals or events
    # (Bolt still passes a modal a `respond`, one that raises when called)
    with_url = kind in ("command", "action")
    ack, respond, client = _parts(
        calls, with_url or kind == "view", None if kind == "view" else "https://hooks.slack.com/1"
    )
    seen: list[str] = []

    @listener(DEPS, cast(Kind, kind))
    async def broken(ctx: Interaction) -> None:
        seen.append(correlation_id.get())
        assert ctx.kind == kind and ctx.user_id == "U1"
        raise RuntimeError("boom")

    with caplog.at_level(logging.INFO):
        if kind == "event":  # escapes to the pipeline, which logs, retries, dead-letters
            with pytest.raises(RuntimeError):
                await broken(ack=ack, body=BODIES[kind], respond=respond, client=client)
        else:
            await broken(ack=ack, body=BODIES[kind], respond=respond, client=client)

    cid = seen[0]
    assert cid != "-"
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(failures) == (0 if kind == "event" else 1)
    told = [c["text"] for c in calls.responds] + [kw["text"] for _, kw in calls.posts]
    if kind in ("event", "options"):
        assert told == []  # nobody to tell: the log line (the pipeline's) carries the id
    else:
        assert told == [messages.INTERNAL_ERROR.format(cid=cid)]
    if kind == "view":  # no response_url, no channel: the user hears it by DM
        assert calls.posts == [("postMessage", calls.posts[0][1])]
        assert calls.posts[0][1]["channel"] == "U1"
    # acked once: first for commands, actions and views; options answer an empty list
    expected_acks = {"event": [], "options": [{"options": []}]}.get(kind, [{}])
    assert calls.acks == expected_acks


async def test_listener_keeps_the_requests_correlation_id() -> None:
    calls = Calls()
    ack, respond, client = _parts(calls, True)
    cid = bind_correlation_id("req123456789")
    seen: list[str] = []

    @listener(DEPS, "action")
    async def fine(ctx: Interaction) -> None:
        seen.append(correlation_id.get())

    await fine(ack=ack, body=BODIES["action"], respond=respond, client=client)
    assert seen == [cid]
    assert calls.acks == [{}] and calls.responds == [] and calls.posts == []


async def test_a_handler_that_acks_itself_is_not_acked_again() -> None:
    calls = Calls()
    ack, _, client = _parts(calls, False)

    @listener(DEPS, "options")
    async def answer(ctx: Interaction) -> None:
        assert ctx.ack is not None
        await ctx.ack(options=[{"text": {"type": "plain_text", "text": "a"}, "value": "a"}])
        raise RuntimeError("after the answer")

    await answer(ack=ack, body=BODIES["options"], respond=None, client=client)
    assert len(calls.acks) == 1 and calls.acks[0]["options"][0]["value"] == "a"


async def test_a_user_error_is_told_as_written() -> None:
    from bot.core.errors import UserError

    calls = Calls()
    ack, respond, client = _parts(calls, True)

    @listener(DEPS, "command")
    async def refuse(ctx: Interaction) -> None:
        raise UserError("No such project: <!channel>")

    await refuse(ack=ack, body=BODIES["command"], respond=respond, client=client)
    assert [c["text"] for c in calls.responds] == ["No such project: &lt;!channel&gt;"]
    assert calls.responds[0]["response_type"] == "ephemeral"


async def test_a_listener_not_reporting_lets_the_pipeline_retry() -> None:
    calls = Calls()
    ack, respond, client = _parts(calls, True)

    @listener(DEPS, "command", report_errors=False)
    async def dispatcher(ctx: Interaction) -> None:
        try:
            raise ValueError("a sub-command failed")
        except ValueError as exc:
            await ctx.fail(exc)  # reported once, by the handler
        raise RuntimeError("the dispatcher itself failed")

    with pytest.raises(RuntimeError):
        await dispatcher(ack=ack, body=BODIES["command"], respond=respond, client=client)
    assert calls.acks == [{}]
    assert [c["text"] for c in calls.responds] == [
        messages.INTERNAL_ERROR.format(cid=correlation_id.get())
    ]


@pytest.mark.parametrize("kind", ["command", "action", "view", "options", "event"])
def test_the_interaction_and_the_pipeline_job_agree(kind: str) -> None:
    """The front door fills a job with the ids Bolt extracts (bot/pipeline/front.py): the
    interaction reads the same ones from the same body, and the same response_url."""
    body = BODIES[kind]
    ctx = Interaction(deps=DEPS, body=body, respond=None, client=cast(AsyncWebClient, None))
    job = from_slack(
        kind,
        "-",
        body,
        {},
        team_id=extract_team_id(body),
        enterprise_id=None,
        user_id=extract_user_id(body),
        channel_id=extract_channel_id(body),
    )
    assert (job.team_id, job.user_id) == (ctx.team_id, ctx.user_id)
    # Bolt finds no channel in a modal's body; the interaction neither (it answers by DM)
    assert job.channel_id == ctx.channel_id
    assert (job.response_url or "") == ctx.response_url
