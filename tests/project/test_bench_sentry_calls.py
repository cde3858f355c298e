"""`bench.sentry_calls` measures what its rows say: every operation finishes as it should.

A row whose operation no longer finishes (a harness the product refuses, such as
`/dexter setup` in a single-workspace install) would otherwise print numbers that measure
nothing. Each operation runs once, cold (about 4 s).
"""

from __future__ import annotations

from bench.sentry_calls import OPERATIONS, measure, table
from bot.core.store import Store


async def test_every_operation_of_the_benchmark_finishes(store: Store) -> None:
    rows = await measure(redis=store.redis, warm=False)
    assert [r.name for r in rows] == [op.name for op in OPERATIONS]
    assert [line for line in table(rows) if "did not finish" in line] == []
    # the row that measured the refusal (0 calls) while setup ran in a single-workspace app
    [save] = [r for r in rows if r.name == "/dexter setup (check and save)"]
    assert save.endpoints == {"GET /api/0/organizations/acme/": 1}
