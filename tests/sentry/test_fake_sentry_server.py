"""The loopback fake Sentry the process tests use holds Dexter's requests to the schema."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fake_sentry_server import FakeSentryServer
from tests.settings_factory import SENTRY_TOKEN

AUTH = {"Authorization": f"Bearer {SENTRY_TOKEN}"}


@pytest.fixture
async def server() -> AsyncIterator[FakeSentryServer]:
    s = await FakeSentryServer().start()
    s.org.add(1)
    yield s
    await s.stop()


async def test_valid_requests_are_answered_by_the_organisation_and_changes_recorded(
    server: FakeSentryServer,
) -> None:
    async with httpx.AsyncClient(base_url=f"{server.url}/api/0/", headers=AUTH) as client:
        got = await client.get("organizations/acme/issues/1/")
        changed = await client.put("organizations/acme/issues/1/", json={"status": "resolved"})
    assert got.status_code == 200 and got.json()["shortId"] == "BACKEND-1"
    assert changed.status_code == 200 and server.org.issues["1"]["status"] == "resolved"
    assert [(m.method, m.path, m.body) for m in server.mutations] == [
        ("PUT", "organizations/acme/issues/1/", {"status": "resolved"})
    ]
    assert server.problems == []


async def test_invalid_or_unknown_requests_are_refused_and_kept_as_problems(
    server: FakeSentryServer,
) -> None:
    async with httpx.AsyncClient(base_url=f"{server.url}/api/0/", headers=AUTH) as client:
        bad = await client.put("organizations/acme/issues/1/", json={"status": "fixed"})
        unknown = await client.get("organizations/acme/nothing-here/")
    assert bad.status_code == 400 and unknown.status_code == 400
    assert len(server.problems) == 2 and "status" in server.problems[0]
    assert server.mutations == [] and server.org.issues["1"]["status"] == "unresolved"


async def test_a_slow_request_is_held_until_released(server: FakeSentryServer) -> None:
    server.slow("GET", r"/issues/1/$", 30.0)
    async with httpx.AsyncClient(base_url=f"{server.url}/api/0/", headers=AUTH) as client:
        pending = asyncio.ensure_future(client.get("organizations/acme/issues/1/"))
        await server.wait_held()
        fast = await client.get("organizations/acme/issues/1/")  # only the first is held
        assert fast.status_code == 200 and not pending.done()
        server.release()
        assert (await pending).status_code == 200
    assert server.held == 0
