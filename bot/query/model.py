"""What a command means: the lookup (:class:`PurchaseQuery`), the other answers, and the limits.

The rest of the package reads text into these; nothing here reads text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from bot.crowdtwist.models import IdType

MAX_MEMBER_LENGTH = 254
MAX_PAGE = 100_000
MAX_COMMAND_LENGTH = 4_000
"""Longer command text is refused outright (no real command comes near it)."""
MAX_IDENTIFIERS = 10
"""The most identifiers :func:`bot.query.scanner.find_member_identifiers` returns."""
MAX_BUTTON_VALUE = 2_000
"""Slack's limit on a button's ``value``."""
MAX_PHONE_DIGITS = 15
"""E.164: no phone number has more digits."""
MAX_FIND_LENGTH = 255
"""The longest purchase id ``find:`` takes (what a Details button carries, too)."""


class Only(Enum):
    """``only:``: which purchases a filtered card keeps."""

    AWAITING = "awaiting"
    """Points still awaiting fulfilment."""
    CAPPED = "capped"
    """Earned more than awarded plus awaiting (the card's cap rule)."""
    SHORT = "short"
    """Either of the two."""

    @property
    def phrase(self) -> str:
        """What the matching purchases have, for ``14 of 203 purchases <phrase>``."""
        return _ONLY_PHRASES[self]


_ONLY_PHRASES = {
    Only.AWAITING: "have points awaiting",
    Only.CAPPED: "were capped",
    Only.SHORT: "are short of points (awaiting or capped)",
}


@dataclass(frozen=True, slots=True)
class PurchaseQuery:
    """One purchase-history lookup: who, how to read the id, which dates, which page.

    ``find`` searches the range for one purchase id; ``only`` keeps the matching purchases
    (``page`` then counts pages of matches). At most one of the two is set.
    """

    member: str
    id_type: IdType
    id_type_inferred: bool = True
    start: date | None = None
    end: date | None = None
    page: int = 1
    find: str | None = None
    only: Only | None = None

    def with_page(self, page: int) -> PurchaseQuery:
        """The same lookup on another page."""
        # The constructor, not dataclasses.replace (which reads the fields back by name):
        # three page buttons a card ask for this.
        return PurchaseQuery(
            self.member,
            self.id_type,
            self.id_type_inferred,
            self.start,
            self.end,
            page,
            self.find,
            self.only,
        )

    def plain(self, page: int = 1) -> PurchaseQuery:
        """The range's ordinary pages, without ``find`` or ``only`` (paging on from a find)."""
        return PurchaseQuery(
            self.member, self.id_type, self.id_type_inferred, self.start, self.end, page
        )

    @property
    def search_label(self) -> str | None:
        """``find:NW-400026`` or ``only:capped`` as the words to show, or None."""
        if self.find is not None:
            return f"find:{self.find}"
        return f"only:{self.only.value}" if self.only is not None else None

    @property
    def gathers(self) -> bool:
        """Whether answering it reads more than one page (a find or a filter)."""
        return self.find is not None or self.only is not None

    @property
    def range_label(self) -> str | None:
        """The date range in words, or None when the whole history is asked for."""
        if self.start and self.end:
            if self.start == self.end:
                return f"on {self.start.isoformat()}"
            return f"{self.start.isoformat()} to {self.end.isoformat()}"
        if self.start:
            return f"since {self.start.isoformat()}"
        if self.end:
            return f"until {self.end.isoformat()}"
        return None


@dataclass(frozen=True, slots=True)
class ReceiptsRequest:
    """``/purchases <member> receipts [dates] [page:]``: the member's receipt scans, the
    dates narrowing them by the day each was submitted."""

    query: PurchaseQuery


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """``/purchases help``."""


@dataclass(frozen=True, slots=True)
class FormRequest:
    """``/purchases`` with nothing after it: open the lookup form."""


@dataclass(frozen=True, slots=True)
class UsageError:
    """The text could not be read as a lookup; ``message`` says what was wrong.

    One sentence of plain text with mrkdwn code spans; ``& < >`` are *not* escaped (the
    card escapes them), and quoted input is shortened and cannot break out of its span.
    """

    message: str


Command = PurchaseQuery | ReceiptsRequest | HelpRequest | FormRequest | UsageError
