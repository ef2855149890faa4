"""The User Receipt History answer (main host): each receipt scan and what it came to.

Lenient like :mod:`bot.crowdtwist.models`: a field CrowdTwist leaves out is unknown (None),
an unreadable ``date_submitted`` is unknown rather than a failed page, and a ``scan_result``
this bot has never heard of is kept as sent (its :attr:`Receipt.kind` is ``UNKNOWN``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from bot.crowdtwist.models import Paging, _as_utc, _Lenient

RECEIPTS_PATH = "/v2/users/{member}/receipts"
RECEIPTS_PAGE_SIZE = 25
"""The most receipts one page may hold (the API's documented maximum), asked for every time."""
SCANNING_INACTIVE = "receipt_scanning_inactive"
"""The error reason of a program without receipt scanning."""


class ScanKind(StrEnum):
    """What a scan result means for the agent; the order is the order a summary names them."""

    NEEDS_AGENT = "needs_agent"
    """Held for a person: customer service must decide, or fraud is suspected."""
    NOT_SCANNED = "not_scanned"
    REJECTED = "rejected"
    AWARDED = "awarded"
    UNKNOWN = "unknown"
    """A code the documentation does not list: shown as sent."""


SCAN_RESULT_KINDS: dict[str, ScanKind] = {
    "NOT_SCANNED": ScanKind.NOT_SCANNED,
    "RECEIPT_UNREADABLE": ScanKind.REJECTED,
    "INVALID_PURCHASE_DATE": ScanKind.REJECTED,
    "NO_PRODUCTS": ScanKind.REJECTED,
    "DUPLICATE_SUBMISSION": ScanKind.REJECTED,
    "INVALID_STORE": ScanKind.REJECTED,
    "DEFER_TO_CUSTOMER_SERVICE": ScanKind.NEEDS_AGENT,
    "POTENTIAL_FRAUD_DETECTED": ScanKind.NEEDS_AGENT,
    "PURCHASED_OUT_OF_STATE": ScanKind.REJECTED,
    "NO_STATE_INFO_ON_RECEIPT": ScanKind.REJECTED,
    "NO_STATE_INFO_IN_USER_PROFILE": ScanKind.REJECTED,
    "NO_MATCHING_PRODUCTS_FOUND": ScanKind.REJECTED,
    "AWARDED": ScanKind.AWARDED,
}
"""Every documented ``scan_result`` code and its kind."""


def _lenient_moment(value: Any) -> Any:
    """An unreadable timestamp is unknown, not a failed page (one receipt must not hide all)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


class Receipt(_Lenient):
    """One submitted receipt and its scan result, every field optional."""

    id: str | None = None
    date_submitted: datetime | None = None
    file_id: str | None = None
    file_name: str | None = None
    file_url: str | None = None
    scan_result: str | None = None
    scan_result_text: str | None = None

    _moment = field_validator("date_submitted", mode="before")(_lenient_moment)
    _utc = field_validator("date_submitted", mode="after")(_as_utc)

    @property
    def kind(self) -> ScanKind:
        """The documented code's kind; ``NOT_SCANNED`` when no result is given yet."""
        code = (self.scan_result or "").strip()
        if not code:
            return ScanKind.NOT_SCANNED
        return SCAN_RESULT_KINDS.get(code.upper(), ScanKind.UNKNOWN)

    @property
    def key(self) -> str | None:
        """What a View button names this receipt by: its id, else its file id."""
        return self.id or self.file_id or None


class ReceiptPage(_Lenient):
    """One page of a member's receipt submissions, as the API answered it."""

    submitted_receipts: list[Receipt] = Field(default_factory=list)
    paging: Paging = Field(default_factory=Paging)

    @field_validator("submitted_receipts", mode="before")
    @classmethod
    def _null_list_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


@dataclass(frozen=True)
class ReceiptHistory:
    """A member's receipts as the agent sees them: in the date range, newest first."""

    receipts: tuple[Receipt, ...]
    total: int
    """CrowdTwist's count of the member's receipts, every date."""
    capped: bool = False
    """True when more pages existed than were read."""

    def counts(self) -> dict[ScanKind, int]:
        """How many receipts of each kind, kinds with none left out, in :class:`ScanKind` order."""
        found = Counter(receipt.kind for receipt in self.receipts)
        return {kind: found[kind] for kind in ScanKind if found[kind]}

    def find(self, key: str) -> Receipt | None:
        """The receipt a View button names."""
        return next((r for r in self.receipts if r.key == key), None)


def receipt_history(
    pages: Sequence[ReceiptPage], *, start: date | None, end: date | None, capped: bool = False
) -> ReceiptHistory:
    """Pages merged, narrowed to ``start``..``end`` (inclusive, by the UTC day submitted),
    newest first; an undated receipt is kept only when no dates are asked for.

    The API takes no dates and documents no order, so both are the bot's work.
    """
    dated: list[tuple[datetime, Receipt]] = []
    undated: list[Receipt] = []
    for page in pages:
        for receipt in page.submitted_receipts:
            moment = receipt.date_submitted
            if moment is None:
                if start is None and end is None:
                    undated.append(receipt)
                continue
            day = _utc_day(moment)
            if (start is None or start <= day) and (end is None or day <= end):
                dated.append((moment, receipt))
    dated.sort(key=lambda pair: _sort_key(pair[0]), reverse=True)
    total = max((page.paging.total for page in pages), default=0)
    return ReceiptHistory(tuple(r for _, r in dated) + tuple(undated), total=total, capped=capped)


def _utc_day(moment: datetime) -> date:
    try:
        return moment.astimezone(UTC).date()
    except OverflowError:  # year 1 or 9999 with an offset
        return moment.date()


def _sort_key(moment: datetime) -> float:
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return float("-inf") if moment.year < 2000 else float("inf")


class ReceiptScanning:
    """Whether the program scans receipts, as far as the bot knows: yes until CrowdTwist says
    ``receipt_scanning_inactive``, then no for ``ttl_seconds`` (this process only)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._inactive_until = float("-inf")

    @property
    def active(self) -> bool:
        """False while a recent answer said the program has no receipt scanning."""
        return self._clock() >= self._inactive_until

    def mark_inactive(self) -> None:
        """Remember CrowdTwist's answer; the entry points come back after the TTL."""
        self._inactive_until = self._clock() + max(self._ttl, 1.0)
