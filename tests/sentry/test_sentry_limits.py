"""Sentry's limits per endpoint family, identical reads shared, and `sort:inbox` explained."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from httpx import Response

from bot.core import messages
from bot.sentry.client import SentryClient
from bot.sentry.limits import route_template
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.settings_factory import ORG, SENTRY_BASE, SENTRY_TOKEN

ISSUES = "organizations/acme/issues/"
RELEASES = "organizations/acme/releases/"


@pytest.fixture
async def client() -> AsyncIterator[SentryClient]:
    c = SentryClient(base_url=SENTRY_BASE, token=SENTRY_TOKEN, org=ORG)
    yield c
    await c.aclose()


def test_families_are_method_and_route_template() -> None:
    assert route_template("organizations/acme/issues/123/events/latest/") == "issues/{}/events/{}"
    assert route_template("organizations/acme/shortids/BACKEND-1/") == "shortids/{}"
    assert route_template("organizations/acme/releases/backend@1.2/") == "releases/{}"
    assert route_template("projects/acme/web/rules/") == "rules"
    assert route_template("organizations/acme/") == "root"


async def test_one_endpoints_limit_does_not_throttle_another(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    """Releases answer with a concurrency limit of 1; issue reads keep their own gate, so
    two of them still run at once (with one global gate the second would wait)."""
    sentry.get(RELEASES).mock(
        return_value=Response(200, json=[], headers={"X-Sentry-Rate-Limit-ConcurrentLimit": "1"})
    )
    arrived = 0
    both = asyncio.Event()

    async def issues(request: httpx.Request) -> Response:
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 2)  # only answers once both are in flight
        return Response(200, json=[])

    sentry.get(ISSUES).mock(side_effect=issues)
    await client.get(client.org_path("releases"))
    assert client.limits.gate("GET releases").limit == 1
    await asyncio.gather(
        client.get(client.org_path("issues"), params={"query": "a"}),
        client.get(client.org_path("issues"), params={"query": "b"}),
    )
    assert arrived == 2
    assert client.limits.gate("GET issues").limit == client.limits.max_concurrency


async def test_a_family_at_its_limit_waits_for_its_own_slot(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    running = 0
    peak = 0

    async def releases(request: httpx.Request) -> Response:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)  # holds the slot while the other pages ask for it
        running -= 1
        return Response(200, json=[], headers={"X-Sentry-Rate-Limit-ConcurrentLimit": "1"})

    sentry.get(RELEASES).mock(side_effect=releases)
    await client.get(client.org_path("releases"))
    pages = [client.get(client.org_path("releases"), params={"cursor": str(i)}) for i in range(4)]
    await asyncio.gather(*pages)
    assert peak == 1


async def test_identical_reads_in_flight_are_sent_once(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    """An incident: fifty people type the same `/dexter issues` at once."""
    gate = asyncio.Event()

    async def slow(request: httpx.Request) -> Response:
        await gate.wait()
        return Response(200, json=[f.issue(1)])

    route = sentry.get(ISSUES).mock(side_effect=slow)
    params = {"query": "is:unresolved", "project": ["2", "3"]}
    calls = [client.get(client.org_path("issues"), params=params) for _ in range(50)]
    reordered = client.get(client.org_path("issues"), params={"project": ["3", "2"], **params})
    other = client.get(client.org_path("issues"), params={"query": "is:resolved"})
    tasks = [asyncio.ensure_future(c) for c in [*calls, reordered, other]]
    await asyncio.sleep(0.05)  # every call is in flight, waiting at the gate, before any answer
    gate.set()
    answers = await asyncio.gather(*tasks)
    assert route.call_count == 2  # the fifty (and the same params in another order), the other
    assert all(a.data[0]["id"] == "1" for a in answers)
    answers[0].data[0]["id"] = "changed"  # one caller's changes are not another's
    answers[1].data[0]["title"] = "changed too"
    assert answers[1].data[0]["id"] == "1"
    assert answers[2].data[0]["title"] == f.issue(1)["title"]
    assert answers[2].data == [f.issue(1)]  # each copy is the whole answer
    await client.get(client.org_path("issues"), params=params)
    assert route.call_count == 3  # once answered, the next read asks again


async def test_a_failed_shared_read_fails_every_caller(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    sentry.get(ISSUES).mock(return_value=Response(403, json={"detail": "No access"}))
    results = await asyncio.gather(
        *(client.get(client.org_path("issues")) for _ in range(3)), return_exceptions=True
    )
    assert all(type(r).__name__ == "SentryForbidden" for r in results)


async def test_sort_inbox_without_the_review_queue_is_explained(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = sentry.get(ISSUES).mock(return_value=Response(200, json=[f.issue(1)]))
    await bot.command("issues level:error sort:inbox")
    [resp] = await slack.wait_for("response")
    assert messages.INBOX_NEEDS_REVIEW in resp["text"]
    assert not route.calls  # not sent: Sentry would answer 400
    await bot.command("issues is:unresolved is:for_review sort:inbox")
    await slack.wait_for("response", 2)
    assert route.calls.last.request.url.params["sort"] == "inbox"


async def test_sentrys_source_refuses_inbox_sort_outside_the_queue(
    sentry: respx.MockRouter,
) -> None:
    auth = {"Authorization": "Bearer t"}
    async with httpx.AsyncClient(base_url="https://sentry.io/api/0/", headers=auth) as http:
        resp = await http.get(ISSUES, params={"query": "level:error", "sort": "inbox"})
    assert resp.status_code == 400 and "only supported for inbox search" in resp.text
