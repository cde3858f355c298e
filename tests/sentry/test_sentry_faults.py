"""Sentry failing in every way: users get a clear answer, nothing crashes, nothing runs twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from httpx import Response

from bot.core import errors, messages
from bot.deps import Deps
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver


def _unavailable(_: str) -> str:
    return messages.SENTRY_UNAVAILABLE.split(" (ref")[0]


FAULTS: dict[str, tuple[Callable[[], Any], Callable[[str], str], int]] = {
    # name: (side effect, expected message for the command, calls per route)
    "timeout": (lambda: httpx.ReadTimeout("slow"), _unavailable, 4),
    "refused": (lambda: httpx.ConnectError("refused"), _unavailable, 4),
    "500": (lambda: Response(500), _unavailable, 4),
    "502": (lambda: Response(502, text="<html>Bad gateway</html>"), _unavailable, 4),
    "503": (lambda: Response(503), _unavailable, 4),
    "429 with reset": (
        lambda: Response(429, headers={"X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 2)}),
        lambda _: messages.SENTRY_RATE_LIMITED,
        6,
    ),
    "429 without reset": (lambda: Response(429), lambda _: messages.SENTRY_RATE_LIMITED, 6),
    "malformed json": (lambda: Response(200, text="<html>maintenance</html>"), _unavailable, 1),
    "401": (
        lambda: Response(401, json={"detail": "Invalid token"}),
        lambda _: messages.SENTRY_UNAUTHORIZED,
        1,
    ),
    "403": (
        lambda: Response(403, json={"detail": "You do not have permission."}),
        lambda _: messages.SENTRY_FORBIDDEN.format(detail="You do not have permission."),
        1,
    ),
    "404": (
        lambda: Response(404, json={"detail": "The requested resource does not exist"}),
        lambda cmd: messages.SENTRY_NOT_FOUND.format(
            detail="No issue `123` found."
            if cmd.startswith("issue ")
            else "The requested resource does not exist"
        ),
        1,
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("command", ["issues level:error", "issue 123"])
async def test_commands_explain_sentry_faults(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, fault: str, command: str
) -> None:
    effect, expected, calls = FAULTS[fault]
    routes = [
        sentry.get(path).mock(side_effect=lambda _req: _raise_or_return(effect()))
        for path in (
            "organizations/acme/issues/",
            "organizations/acme/issues/123/",
            "organizations/acme/issues/123/events/latest/",
        )
    ]
    reply = await bot.command(command)
    assert reply.status == 200
    [resp] = await slack.wait_for("response")
    assert resp["response_type"] == "ephemeral"
    assert resp["text"].startswith(expected(command)), resp["text"]
    assert slack.of("chat.postMessage") == []  # no half-made card in the channel
    used = routes[0] if command.startswith("issues") else routes[1]
    assert used.call_count == calls


def _raise_or_return(value: Any) -> Response:
    if isinstance(value, Exception):
        raise value
    assert isinstance(value, Response)
    return value


async def test_put_is_retried_as_idempotent(deps: Deps, sentry: respx.MockRouter) -> None:
    route = sentry.put("organizations/acme/issues/5/").mock(
        side_effect=[Response(503), Response(502), Response(200, json={"status": "resolved"})]
    )
    assert await deps.issues.update("5", {"status": "resolved"}) == {"status": "resolved"}
    assert route.call_count == 3


async def test_put_rejected_by_sentry_is_not_retried(deps: Deps, sentry: respx.MockRouter) -> None:
    route = sentry.put("organizations/acme/issues/5/").mock(
        return_value=Response(400, json={"status": ["bad value"]})
    )
    with pytest.raises(errors.SentryBadRequest):
        await deps.issues.update("5", {"status": "resolved"})
    assert route.call_count == 1


RELEASES = "organizations/acme/releases/"
RELEASE = {"version": "backend@1.0.0", "projects": ["backend"]}


@pytest.mark.parametrize(
    "failure",
    [Response(500), Response(502), Response(503), httpx.ReadTimeout("slow"), httpx.ReadError("x")],
    ids=["500", "502", "503", "read-timeout", "read-error"],
)
async def test_post_that_may_have_landed_is_never_retried(
    deps: Deps, sentry: respx.MockRouter, failure: Any
) -> None:
    route = sentry.post(RELEASES).mock(side_effect=[failure, Response(201, json={})])
    with pytest.raises(errors.SentryUnavailable):
        await deps.sentry.post(deps.sentry.org_path("releases"), json=RELEASE)
    assert route.call_count == 1


async def test_post_that_never_left_is_retried(deps: Deps, sentry: respx.MockRouter) -> None:
    route = sentry.post(RELEASES).mock(
        side_effect=[httpx.ConnectError("refused"), Response(201, json={"version": "1.0.0"})]
    )
    resp = await deps.sentry.post(deps.sentry.org_path("releases"), json=RELEASE)
    assert resp.status == 201
    assert route.call_count == 2


async def test_post_refused_with_429_is_sent_again(deps: Deps, sentry: respx.MockRouter) -> None:
    # a 429 means Sentry did not process the request, so sending it again is safe
    route = sentry.post(RELEASES).mock(
        side_effect=[Response(429, headers={"Retry-After": "0"}), Response(201, json={})]
    )
    await deps.sentry.post(deps.sentry.org_path("releases"), json=RELEASE)
    assert route.call_count == 2
