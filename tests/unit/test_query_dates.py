"""bot.query.dates: date phrases as ranges, relative to a given today."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.query import PurchaseQuery
from tests.support.query_helpers import EMAIL, JANE, d, error_of, parsed_query

# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "start", "end"),
    [
        ("", None, None),
        ("2024-03-01", "2024-03-01", None),
        ("2024-3-1", "2024-03-01", None),
        ("2024-03-01 2024-03-31", "2024-03-01", "2024-03-31"),
        ("2024-03-01 2024-03-01", "2024-03-01", "2024-03-01"),
        ("2024-03", "2024-03-01", "2024-03-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2023-2", "2023-02-01", "2023-02-28"),
        ("2024-01 2024-03", "2024-01-01", "2024-03-31"),
        ("2024-01 2024-03-15", "2024-01-01", "2024-03-15"),
        ("2024-01-15 2024-03", "2024-01-15", "2024-03-31"),
        ("from:2024-03-01", "2024-03-01", None),
        ("to:2024-03-31", None, "2024-03-31"),
        ("from:2024-03-01 to:2024-03-31", "2024-03-01", "2024-03-31"),
        ("to:2024-03-31 from:2024-03-01", "2024-03-01", "2024-03-31"),
        ("FROM:2024-03-01 TO:2024-03-31", "2024-03-01", "2024-03-31"),
        ("from 2024-03-01 to 2024-03-31", "2024-03-01", "2024-03-31"),
        ("from: 2024-03-01 to: 2024-03-31", "2024-03-01", "2024-03-31"),
        ("start:2024-03-01 end:2024-03-31", "2024-03-01", "2024-03-31"),
        ("since 2024-03-01", "2024-03-01", None),
        ("Since 2024-03-01", "2024-03-01", None),
        ("since:2024-03-01", "2024-03-01", None),
        ("until 2024-03-31", None, "2024-03-31"),
        ("until:2024-03-31", None, "2024-03-31"),
        ("2024-03-01 until 2024-03-31", "2024-03-01", "2024-03-31"),
        ("2024-03-01 to 2024-03-31", "2024-03-01", "2024-03-31"),
        ("since 2024-03", "2024-03-01", None),
        ("until 2024-03", None, "2024-03-31"),
        ("from:2023", "2023-01-01", None),
        ("to:2023", None, "2023-12-31"),
        ("since 2023 until 2024-06", "2023-01-01", "2024-06-30"),
        ("in 2024", "2024-01-01", "2024-12-31"),
        ("IN 2024", "2024-01-01", "2024-12-31"),
        ("in:2024", "2024-01-01", "2024-12-31"),
        ("in 2024-02", "2024-02-01", "2024-02-29"),
        ("on 2024-03-01", "2024-03-01", "2024-03-01"),
        ("today", "2024-05-15", "2024-05-15"),
        ("Today", "2024-05-15", "2024-05-15"),
        ("yesterday", "2024-05-14", "2024-05-14"),
        ("yesterday today", "2024-05-14", "2024-05-15"),
        ("2024-05-01 today", "2024-05-01", "2024-05-15"),
        ("this month", "2024-05-01", "2024-05-31"),
        ("last month", "2024-04-01", "2024-04-30"),
        ("this year", "2024-01-01", "2024-12-31"),
        ("last year", "2023-01-01", "2023-12-31"),
        ("LAST YEAR", "2023-01-01", "2023-12-31"),
        ("last 1 day", "2024-05-15", "2024-05-15"),
        ("last 30 days", "2024-04-16", "2024-05-15"),
        ("last 2 weeks", "2024-05-02", "2024-05-15"),
        ("last 1 month", "2024-04-16", "2024-05-15"),
        ("last 3 months", "2024-02-16", "2024-05-15"),
        ("last 1 year", "2023-05-16", "2024-05-15"),
        ("last 999999999 days", "0001-01-01", "2024-05-15"),
        ("last 99999999999999999999999999 months", "0001-01-01", "2024-05-15"),
        ("since last month", "2024-04-01", None),
        ("until last month", None, "2024-04-30"),
        ("from:last month to:yesterday", "2024-04-01", "2024-05-14"),
        ("from: today", "2024-05-15", None),
        ("since yesterday", "2024-05-14", None),
        ("since last 7 days", "2024-05-09", None),
        ("2024-03-01, 2024-03-31", "2024-03-01", "2024-03-31"),
        ("2099-01-01", "2099-01-01", None),
        ("9999-12-31", "9999-12-31", None),
        ("0001-01-01", "0001-01-01", None),
        ("in 9999", "9999-01-01", "9999-12-31"),
        ("in 0001", "0001-01-01", "0001-12-31"),
        ("page:2 2024-03-01", "2024-03-01", None),
        ("type:email\u00a0\t 2024-03-01", "2024-03-01", None),
    ],
)
def test_dates(suffix: str, start: str | None, end: str | None) -> None:
    query = parsed_query(f"{JANE} {suffix}")
    assert query.start == (d(start) if start else None)
    assert query.end == (d(end) if end else None)
    assert query.member == JANE


@pytest.mark.parametrize(
    ("today", "suffix", "start", "end"),
    [
        (date(2024, 3, 31), "last 1 month", "2024-03-01", "2024-03-31"),
        (date(2024, 1, 10), "last month", "2023-12-01", "2023-12-31"),
        (date(2024, 2, 29), "last 1 year", "2023-03-01", "2024-02-29"),
        (date(1, 1, 1), "last 30 days", "0001-01-01", "0001-01-01"),
        (date(1, 1, 1), "last 5 years", "0001-01-01", "0001-01-01"),
        (date(1, 6, 1), "this year", "0001-01-01", "0001-12-31"),
        (date(9999, 12, 31), "this month", "9999-12-01", "9999-12-31"),
        (date(9999, 12, 31), "today", "9999-12-31", "9999-12-31"),
        (date(9999, 12, 31), "last year", "9998-01-01", "9998-12-31"),
        (datetime(2024, 5, 15, 23, 59), "today", "2024-05-15", "2024-05-15"),
    ],
)
def test_dates_relative_to_other_days(today: date, suffix: str, start: str, end: str) -> None:
    query = parsed_query(f"{JANE} {suffix}", today=today)
    assert (query.start, query.end) == (d(start), d(end))


@pytest.mark.parametrize("suffix", ["yesterday", "last month", "last year", "since last year"])
def test_relative_dates_before_year_one_are_errors(suffix: str) -> None:
    assert "falls outside the calendar" in error_of(f"{JANE} {suffix}", today=date.min)


def test_range_label() -> None:
    assert PurchaseQuery(JANE, EMAIL).range_label is None
    assert parsed_query(f"{JANE} on 2024-03-01").range_label == "on 2024-03-01"
    assert parsed_query(f"{JANE} 2024-03").range_label == "2024-03-01 to 2024-03-31"
    assert parsed_query(f"{JANE} since 2024-03-01").range_label == "since 2024-03-01"
    assert parsed_query(f"{JANE} until 2024-03-31").range_label == "until 2024-03-31"
