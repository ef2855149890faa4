"""Date phrases (``2024-03-01``, ``2024-03``, ``today``, ``last 30 days`` …) as runs of days.

Relative phrases are anchored on the ``today`` the caller passes in: no clock here.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.query.markup import quote_in_code
from bot.query.members import DIGITS
from bot.query.model import UsageError
from bot.query.tokens import Token, as_typed

UNITS = {
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
}
"""The units of ``last N …``, singular or plural, by their plural."""
ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_YEAR = re.compile(r"[0-9]{4}")
_OTHER_DATE = re.compile(r"[0-9]{1,4}[./\-][0-9]{1,2}(?:[./\-][0-9]{1,4})?|[0-9]{4}/[0-9]{1,2}")


@dataclass(frozen=True, slots=True)
class Period:
    """A run of days a date expression stands for; ``day`` marks a bare ``YYYY-MM-DD``."""

    first: date
    last: date
    day: bool = False


def _shift(day: date, days: int) -> date | None:
    """``day`` moved by ``days``, or None past the calendar's ends."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _month(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]))


def _outside_calendar(phrase: str) -> UsageError:
    return UsageError(f"{quote_in_code(phrase)} falls outside the calendar (years 1 to 9999).")


def _date_word(word: str, *, allow_year: bool) -> Period | UsageError | None:
    """One word as a day, month or (when allowed) year; None when it is no date at all."""
    text = word.rstrip(",")
    if match := ISO_DAY.fullmatch(text):
        try:
            day = date(*(int(g) for g in match.groups()))
        except ValueError:
            return UsageError(f"{quote_in_code(word)} is not a real date.")
        return Period(day, day, day=True)
    if match := ISO_MONTH.fullmatch(text):
        year, month = (int(g) for g in match.groups())
        if year < 1 or not 1 <= month <= 12:
            return UsageError(f"{quote_in_code(word)} is not a real month.")
        return _month(year, month)
    if _YEAR.fullmatch(text):
        if not allow_year:
            return UsageError(
                f"{quote_in_code(word)} alone could be anything: write `in {text}` for that year, "
                f"or `from:{text}` / `until {text}`."
            )
        if int(text) < 1:
            return UsageError(f"{quote_in_code(word)} is not a real year.")
        return Period(date(int(text), 1, 1), date(int(text), 12, 31))
    if _OTHER_DATE.fullmatch(text):
        return UsageError(
            f"{quote_in_code(word)} is not a date I can read: "
            "write dates as YYYY-MM-DD, like `2024-03-01`."
        )
    return None


def _window_start(today: date, count: int, unit: str) -> date:
    """The first day of the last ``count`` units up to and including ``today`` (clamped)."""
    if unit in ("days", "weeks"):
        days = count * (7 if unit == "weeks" else 1) - 1
        return _shift(today, -days) or date.min
    months = today.year * 12 + today.month - 1 - count * (12 if unit == "years" else 1)
    year, month0 = divmod(months, 12)
    if year < 1:
        return date.min
    month = month0 + 1
    back = date(year, month, min(today.day, monthrange(year, month)[1]))
    return _shift(back, 1) or today


def _relative(tokens: Sequence[Token], i: int, today: date) -> tuple[Period, int] | UsageError:
    """``this|last month|year`` and ``last N days|weeks|months|years`` at ``tokens[i]``."""
    word = tokens[i].text.lower().rstrip(",")
    following = [t.text.lower().rstrip(",") if t.plain else "" for t in tokens[i + 1 : i + 3]]
    nxt = following[0] if following else ""
    if nxt in ("month", "year"):
        back = word == "last"
        if nxt == "year":
            year = today.year - back
            if year < 1:
                return _outside_calendar(as_typed(tokens[i : i + 2]))
            return Period(date(year, 1, 1), date(year, 12, 31)), i + 2
        year, month = today.year, today.month
        if back:
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        if year < 1:
            return _outside_calendar(as_typed(tokens[i : i + 2]))
        return _month(year, month), i + 2
    if word == "last" and DIGITS.fullmatch(nxt):
        unit = UNITS.get(following[1]) if len(following) > 1 else None
        if unit is None:
            return UsageError(
                f"{quote_in_code(as_typed(tokens[i : i + 2]))} needs a unit: "
                f"days, weeks, months or years, like `last {nxt} days`."
            )
        count = int(nxt) if len(nxt) <= 7 else 10**7
        if count == 0:
            return UsageError(
                f"{quote_in_code(as_typed(tokens[i : i + 3]))} covers no time at all: "
                "use 1 or more."
            )
        return Period(_window_start(today, count, unit), today), i + 3
    phrase = as_typed(tokens[i : i + 2]) if nxt else tokens[i].raw
    return UsageError(
        f"{quote_in_code(phrase)} is not a date I can read: try `last 30 days`, `last month`, "
        "`this year` or `last 6 months`."
    )


def date_phrase_at(
    tokens: Sequence[Token], i: int, today: date, *, allow_year: bool
) -> tuple[Period, int] | UsageError | None:
    """The date expression starting at ``tokens[i]`` and where it ends; None if there is none."""
    if i >= len(tokens) or not tokens[i].plain:
        return None
    word = tokens[i].text.lower().rstrip(",")
    if word == "today":
        return Period(today, today), i + 1
    if word == "yesterday":
        day = _shift(today, -1)
        return (Period(day, day), i + 1) if day else _outside_calendar(tokens[i].text)
    if word in ("this", "last"):
        return _relative(tokens, i, today)
    found = _date_word(tokens[i].text, allow_year=allow_year)
    if found is None or isinstance(found, UsageError):
        return found
    return found, i + 1
