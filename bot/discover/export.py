"""Export a whole Discover query to CSV: pages streamed, bounded concurrency, constant memory."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import tempfile
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bot.discover.parse import DiscoverQuery
from bot.discover.sentry_api import DiscoverService, TablePage
from bot.sentry import deadline

MAX_ROWS = 10_000
PAGE_ROWS = 100
CONCURRENCY = 4
PROGRESS_EVERY = 5  # pages
CAP_NOTE = "# Export capped at {cap:,} rows; narrow the query or the period to get the rest."

Fetch = Callable[[str | None], Coroutine[Any, Any, TablePage]]
Progress = Callable[["ExportProgress"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ExportProgress:
    """How far an export has got: rows written, pages read, and whether it is done."""

    rows: int
    pages: int
    done: bool = False


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The CSV file on disk (the caller removes it), its row count and whether it was capped."""

    path: Path
    rows: int
    pages: int
    capped: bool
    cap: int


def offset_cursor(page_index: int, per_page: int) -> str:
    """Discover's cursor for a page: `<value>:<offset>:<is_prev>` with value 0."""
    return f"0:{page_index * per_page}:0"


async def stream_pages(
    fetch: Fetch, *, per_page: int, max_rows: int, concurrency: int = CONCURRENCY
) -> AsyncGenerator[TablePage, None]:
    """Yield pages in order. When the cursor is Discover's offset cursor, up to `concurrency`
    pages are in flight at once; otherwise the next cursor is followed one page at a time."""
    first = await fetch(None)
    yield first
    if first.next_cursor is None or len(first.rows) >= max_rows:
        return
    if first.next_cursor != offset_cursor(1, per_page):
        cursor: str | None = first.next_cursor
        fetched = len(first.rows)
        while cursor is not None and fetched < max_rows:
            page = await fetch(cursor)
            fetched += len(page.rows)
            yield page
            cursor = page.next_cursor
        return
    pages_needed = -(-max_rows // per_page)
    pending: deque[asyncio.Task[TablePage]] = deque()
    index = 1
    try:
        while True:
            while len(pending) < concurrency and index < pages_needed:
                pending.append(asyncio.create_task(fetch(offset_cursor(index, per_page))))
                index += 1
            if not pending:
                return
            page = await pending.popleft()
            yield page
            if page.next_cursor is None or len(page.rows) < per_page:
                return
    finally:
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(BaseException):
                await task


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


async def export_csv(
    service: DiscoverService,
    q: DiscoverQuery,
    *,
    progress: Progress | None = None,
    max_rows: int = MAX_ROWS,
    per_page: int = PAGE_ROWS,
    concurrency: int = CONCURRENCY,
    directory: Path | None = None,
) -> ExportResult:
    """Run the query across pages into a CSV file, reporting progress every few pages."""
    params = await service.export_params(q, per_page=per_page)

    async def fetch(cursor: str | None) -> TablePage:
        async with deadline.renewed():  # an export is long; each page has its own budget
            return await service.table_with(params | {"cursor": cursor}, cursor=cursor)

    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to the caller as a path
        "w", newline="", encoding="utf-8", suffix=".csv", dir=directory, delete=False
    )
    path = Path(handle.name)
    pages_iter = stream_pages(fetch, per_page=per_page, max_rows=max_rows, concurrency=concurrency)
    try:
        with handle:
            async with contextlib.aclosing(pages_iter) as stream:
                rows, pages, capped = await _write(stream, handle, q.fields, max_rows, progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if progress:
        await progress(ExportProgress(rows=rows, pages=pages, done=True))
    return ExportResult(path=path, rows=rows, pages=pages, capped=capped, cap=max_rows)


async def _write(
    stream: AsyncIterator[TablePage],
    handle: IO[str],
    fields: tuple[str, ...],
    max_rows: int,
    progress: Progress | None,
) -> tuple[int, int, bool]:
    """Write each page's rows as it arrives; nothing but the file holds them."""
    writer = csv.writer(handle)
    writer.writerow(fields)
    rows = pages = 0
    capped = False
    async for page in stream:
        pages += 1
        room = max_rows - rows
        for row in page.rows[:room]:
            writer.writerow([_cell(row.get(f)) for f in fields])
        rows += min(room, len(page.rows))
        if len(page.rows) > room or (rows >= max_rows and page.next_cursor):
            capped = True
        if progress and pages % PROGRESS_EVERY == 0 and rows < max_rows:
            await progress(ExportProgress(rows=rows, pages=pages))
        if rows >= max_rows:
            break
    if capped:
        writer.writerow([CAP_NOTE.format(cap=max_rows)])
    return rows, pages, capped
