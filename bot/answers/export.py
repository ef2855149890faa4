"""A query's gathered history as CSV (:mod:`bot.answers.history` gathers it), a row a purchase."""

from __future__ import annotations

import csv
import io

from bot.crowdtwist.models import Purchase

CSV_COLUMNS = (
    "purchase_id",
    "purchase_id_type",
    "last_date_purchased",
    "purchase_total",
    "total_points_earned",
    "total_points_awarded",
    "points_awaiting_fulfillment",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
