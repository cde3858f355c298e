"""Saved queries: CRUD per workspace against the real Redis, and run_saved without Slack."""

from __future__ import annotations

import pytest
import respx
from httpx import Response

from bot.core.errors import PermissionDenied, UserError
from bot.core.store import Store
from bot.deps import Deps
from bot.discover.saved_queries import SavedQueries, run_saved
from tests import discover_factories as df

TEXT = "title, count() where level:error last 7 days"


async def test_save_get_list_delete(store: Store) -> None:
    saved = SavedQueries(store)
    first = await saved.save("T1", "Top-Errors", TEXT, "U1")
    assert first.name == "top-errors"
    assert first.text == "title, count() where level:error sort -count() last 7d in errors"
    await saved.save("T1", "slow", "transaction, p95(span.duration) in spans", "U2")
    await saved.save("T2", "other-team", "count()", "U9")
    assert [q.name for q in await saved.list("T1")] == ["slow", "top-errors"]
    got = await saved.get("T1", "TOP-ERRORS")
    assert got.owner == "U1" and got.query.period == "7d"
    await saved.delete("T1", "top-errors", "U1", is_admin=False)
    assert [q.name for q in await saved.list("T1")] == ["slow"]
    assert [q.name for q in await saved.list("T2")] == ["other-team"]


async def test_only_owner_or_admin_deletes_and_names_are_not_stolen(store: Store) -> None:
    saved = SavedQueries(store)
    await saved.save("T1", "mine", TEXT, "U1")
    with pytest.raises(PermissionDenied, match="Only <@U1>"):
        await saved.delete("T1", "mine", "U2", is_admin=False)
    with pytest.raises(PermissionDenied, match="belongs to <@U1>"):
        await saved.save("T1", "mine", "count()", "U2")
    updated = await saved.save("T1", "mine", "count() last 1h", "U1")
    assert updated.query.period == "1h"
    await saved.delete("T1", "mine", "U2", is_admin=True)
    assert await saved.list("T1") == []


async def test_bad_names_bad_queries_and_unknown_names(store: Store) -> None:
    saved = SavedQueries(store)
    with pytest.raises(UserError, match="not a valid name"):
        await saved.save("T1", "no spaces!", TEXT, "U1")
    with pytest.raises(UserError, match="spans"):
        await saved.save("T1", "txn", "title in transactions", "U1")
    await saved.save("T1", "top-errors", TEXT, "U1")
    with pytest.raises(UserError, match="Did you mean `top-errors`"):
        await saved.get("T1", "top-eror")


async def test_run_saved_is_usable_without_slack(deps: Deps, sentry: respx.MockRouter) -> None:
    await deps.saved_queries.save("T1", "top-errors", TEXT, "U1")
    route = sentry.get(df.EVENTS).mock(return_value=Response(200, json=df.events(df.error_rows(3))))
    result = await run_saved(deps.saved_queries, deps.discover, "T1", "top-errors")
    assert result.saved.name == "top-errors"
    assert [r["count()"] for r in result.page.rows] == [5000, 4993, 4986]
    params = route.calls.last.request.url.params
    assert params.get_list("field") == ["title", "count()"]
    assert (params["query"], params["statsPeriod"], params["sort"]) == (
        "level:error",
        "7d",
        "-count()",
    )
