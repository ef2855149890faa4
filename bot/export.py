"""The whole history of a query as CSV: every page fetched (bounded concurrency), one row each."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.models import Purchase, PurchasePage
from bot.query import PurchaseQuery

CSV_COLUMNS = (
    "purchase_id",
    "purchase_id_type",
    "last_date_purchased",
    "purchase_total",
    "total_points_earned",
    "total_points_awarded",
    "points_awaiting_fulfillment",
)
_P = TypeVar("_P")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    """The purchases gathered for an export, and whether the page cap cut them short."""

    purchases: list[Purchase]
    total: int
    capped: bool


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas: a cell that starts like one gets a leading quote."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_number(value: float | int | None) -> str:
    """A figure for a CSV cell: empty when unknown, a whole float without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_csv(purchases: list[Purchase]) -> str:
    """One header row, then one row per purchase; dates in ISO 8601 UTC; formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for purchase in purchases:
        when = purchase.last_date_purchased
        writer.writerow(
            [
                safe_cell(purchase.purchase_id),
                safe_cell(purchase.purchase_id_type),
                when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else "",
                _csv_number(purchase.purchase_total),
                _csv_number(purchase.total_points_earned),
                _csv_number(purchase.total_points_awarded),
                _csv_number(purchase.points_awaiting_fulfillment),
            ]
        )
    return buffer.getvalue()


async def pages_after_the_first(
    fetch: Callable[[int], Awaitable[_P]], last: int, concurrency: int
) -> list[_P]:
    """Pages 2 to ``last`` (once page 1 has said how many there are), ``concurrency`` at a
    time, in page order."""
    limit = asyncio.Semaphore(concurrency)

    async def one(number: int) -> _P:
        async with limit:
            return await fetch(number)

    return list(await asyncio.gather(*(one(n) for n in range(2, last + 1))))


async def gather_history(
    client: CrowdTwistClient, query: PurchaseQuery, *, max_pages: int, concurrency: int
) -> Export:
    """Every purchase of ``query``'s member and range: page 1 first, then the rest in parallel."""
    first = await client.purchase_history(
        query.member, query.id_type, page=1, start=query.start, end=query.end
    )

    async def fetch(number: int) -> PurchasePage:
        return await client.purchase_history(
            query.member, query.id_type, page=number, start=query.start, end=query.end
        )

    rest = await pages_after_the_first(fetch, min(first.paging.pages, max_pages), concurrency)
    purchases = [p for page in (first, *rest) for p in page.purchases]
    return Export(
        purchases=purchases,
        total=first.paging.total,
        capped=first.paging.pages > max_pages,
    )
