"""A query's range gathered page by page: the one place the export, the Workflow step, find,
filter and the receipts read more than one page.

Page 1 first (it says how many pages there are), then the others ``concurrency`` at a time,
newest first, at most ``max_pages`` in all. Every page goes through the CrowdTwist client, so
through its cache, coalescing and request budget. A ``stop`` test ends the gathering early
(find: the purchase is on the page just read) and the pages not yet asked for are never
asked for. When the budget refuses a page the gathering ends with what it has, marked
``busy``; any other failure is raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from bot.cards import page_count
from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import Purchase, PurchasePage
from bot.query import PurchaseQuery

Stop = Callable[[int, PurchasePage], bool]
"""Called with each page as it arrives (its number, the page): True ends the gathering."""
Progress = Callable[[int, int], None]
"""Called after each page: pages read so far, pages to read."""
_P = TypeVar("_P")


@dataclass(frozen=True)
class History:
    """What was gathered over a query's range, in CrowdTwist's order.

    ``total`` and ``pages`` are CrowdTwist's counts for the range; ``read`` holds the pages read
    by number; ``capped`` says the page cap left pages unread, ``busy`` that the request
    budget did, ``stopped`` that the stop test ended the gathering (a find that found).
    """

    purchases: list[Purchase]
    total: int
    capped: bool
    pages: int = 0
    read: dict[int, PurchasePage] = field(default_factory=dict)
    busy: CrowdTwistError | None = None
    stopped: bool = False

    @property
    def complete(self) -> bool:
        """Every page of the range was read (no cap, no budget, no early stop before the end)."""
        return not self.capped and self.busy is None and len(self.read) >= self.pages

    def searched(self) -> int:
        """How many purchases were read."""
        return len(self.purchases)

    def or_raise(self) -> History:
        """This history, or the budget's refusal when it cut the gathering short."""
        if self.busy is not None:
            raise self.busy
        return self


async def gather(
    client: CrowdTwistClient,
    query: PurchaseQuery,
    *,
    max_pages: int,
    concurrency: int,
    stop: Stop | None = None,
    progress: Progress | None = None,
) -> History:
    """Every page of ``query``'s member and range (``query.page`` is ignored), as above."""

    async def fetch(number: int) -> PurchasePage:
        return await client.purchase_history(
            query.member, query.id_type, page=number, start=query.start, end=query.end
        )

    first = await fetch(1)
    pages = page_count(first.paging)
    wanted = max(1, min(pages, max_pages))
    read: dict[int, PurchasePage] = {1: first}
    run = _Run(numbers=iter(range(2, wanted + 1)))
    if progress is not None:
        progress(1, wanted)
    run.stopped = stop is not None and stop(1, first)

    async def worker() -> None:
        for number in run.numbers:
            if run.over:
                return
            try:
                page = await fetch(number)
            except CrowdTwistError as error:
                if error.kind is not ErrorKind.BUSY:
                    raise
                run.busy = run.busy or error
                return
            read[number] = page
            if progress is not None:
                progress(len(read), wanted)
            if stop is not None and stop(number, page):
                run.stopped = True
                return

    if not run.over and wanted > 1:
        await run.work(worker, min(concurrency, wanted - 1))
    purchases = [p for number in sorted(read) for p in read[number].purchases]
    return History(
        purchases=purchases,
        total=first.paging.total,
        capped=pages > max_pages,
        pages=pages,
        read=read,
        busy=run.busy,
        stopped=run.stopped,
    )


@dataclass
class _Run:
    """One gathering's shared state: the page numbers left, and why it ended early."""

    numbers: Iterator[int]
    busy: CrowdTwistError | None = None
    stopped: bool = False

    @property
    def over(self) -> bool:
        return self.stopped or self.busy is not None

    async def work(self, worker: Callable[[], Coroutine[object, object, None]], count: int) -> None:
        """Run ``count`` workers until the numbers run out, the stop test ends the run (the
        others cancelled) or the budget does (the pages in flight still read); a failure
        cancels the others and is raised (so does this caller's cancellation)."""
        tasks = [asyncio.create_task(worker()) for _ in range(count)]
        try:
            pending: set[asyncio.Task[None]] = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if (error := task.exception()) is not None:
                        raise error
                if self.stopped:
                    break  # the pages in flight are no longer needed: cancelled below
                # Over budget, the pages already admitted are still read: workers only stop
                # taking new ones.
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def pages_after_the_first(
    fetch: Callable[[int], Awaitable[_P]], last: int, concurrency: int
) -> list[_P]:
    """Pages 2 to ``last`` (once page 1 has said how many there are), ``concurrency`` at a
    time, in page order: for a listing with no stop test or budget cut (the receipts)."""
    limit = asyncio.Semaphore(concurrency)

    async def one(number: int) -> _P:
        async with limit:
            return await fetch(number)

    return list(await asyncio.gather(*(one(n) for n in range(2, last + 1))))
