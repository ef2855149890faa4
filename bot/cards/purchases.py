"""The purchase card: one page of a member's history, with a Details button per purchase
(its value a :class:`PurchaseRef`), Previous/Next where CrowdTwist links a page, and Export."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blockkit import ACCESSIBILITY_LABEL_MAX, BUTTON_VALUE_MAX, Message, escape
from bot.cards.parts import (
    _AWAITING,
    _HUGE,
    _MEMBER_SHOWN,
    _PURCHASE_TYPES,
    _WARNING,
    _actions,
    _button,
    _context,
    _count,
    _divider,
    _escaped_code,
    _figure,
    _header,
    _message,
    _mrkdwn,
    _page_button,
    _purchase_kind,
    _range_phrase,
    _searched_as,
    _section,
    _slack_date,
)
from bot.cards.points import balance_blocks, points_button
from bot.compact_json import dumps
from bot.crowdtwist.models import Paging, Purchase, PurchaseIdType, PurchasePage
from bot.crowdtwist.summary import MemberSummary
from bot.query import MAX_PAGE, PurchaseQuery
from bot.share import ShareRef, ShareTarget
from bot.slack_ids import (
    DETAILS_ACTION_PREFIX,
    EXPORT_ACTION,
    NEXT_PAGE_ACTION,
    PREV_PAGE_ACTION,
    RECEIPTS_ACTION,
    SHARE_ACTION,
    SHARED_BY_BLOCK_PREFIX,
)
from bot.text import clip

PAGE_SIZE = 10
"""Purchases per page, as the API documents; used only when ``paging.pages`` is missing."""


MAX_PURCHASE_ID = 255
"""The longest purchase id a Details button carries (and a click accepts)."""


def points_over_cap(earned: int | None, awarded: int | None, awaiting: int | None) -> int:
    """Points a cap took away: earned beyond awarded *plus* awaiting; 0 when unknown.

    The one rule for the card and the Details modal: points still awaiting fulfilment are
    not capped, and without both earned and awarded there is no claim of a cap.
    """
    if earned is None or awarded is None:
        return 0
    return max(0, earned - awarded - max(awaiting or 0, 0))


@dataclass(frozen=True)
class PurchaseRef:
    """What a Details button carries: the purchase, and the points the card saw awaiting."""

    purchase_id: str
    purchase_id_type: str
    awaiting: int | None = None

    def encode(self) -> str:
        data: dict[str, object] = {"id": self.purchase_id, "t": self.purchase_id_type}
        if self.awaiting is not None:
            data["w"] = self.awaiting
        return dumps(data)

    @classmethod
    def decode(cls, value: object) -> PurchaseRef | None:
        """Read a Details button's value back; None for anything :meth:`encode` did not write.

        The card draws a button only when this accepts its value, so every Details button
        drawn is one a click accepts.
        """
        if not isinstance(value, str) or not value or len(value) > BUTTON_VALUE_MAX:
            return None
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or not set(data) <= {"id", "t", "w"}:
            return None
        purchase_id, id_type, awaiting = data.get("id"), data.get("t"), data.get("w")
        if not _ref_fields_valid(purchase_id, id_type, awaiting):
            return None
        return cls(str(purchase_id), str(id_type), awaiting)

    def clickable(self, value: str) -> bool:
        """Whether :meth:`decode` gives this ref back from ``value`` (its :meth:`encode`).

        The same checks as :meth:`decode` on the fields themselves, without parsing the JSON
        back: JSON carries strings and integers through unchanged, so a value this accepts
        is one a click accepts (the card asks once per purchase, 20 times a page).
        """
        return (
            0 < len(value) <= BUTTON_VALUE_MAX
            and isinstance(self.purchase_id_type, str)
            and _ref_fields_valid(self.purchase_id, self.purchase_id_type, self.awaiting)
        )


_PURCHASE_ID_TYPES = frozenset(t.value for t in PurchaseIdType)
_UNSAFE_ID_CHARS = re.compile("[\x00-\x1f\ud800-\udfff]")
"""Control characters and lone surrogates: never in a purchase id a button carries."""


def _ref_fields_valid(purchase_id: object, id_type: object, awaiting: object) -> bool:
    """What a Details button may carry: a sane purchase id, a known type, sane points."""
    if not isinstance(purchase_id, str) or not 0 < len(purchase_id) <= MAX_PURCHASE_ID:
        return False
    if not purchase_id.strip() or _UNSAFE_ID_CHARS.search(purchase_id):
        return False
    if id_type not in _PURCHASE_ID_TYPES:
        return False
    return awaiting is None or (type(awaiting) is int and 0 <= awaiting < _HUGE)


def _purchase_flags(purchase: Purchase) -> list[str]:
    flags = []
    over = points_over_cap(
        purchase.total_points_earned,
        purchase.total_points_awarded,
        purchase.points_awaiting_fulfillment,
    )
    if over:
        flags.append(f"{_WARNING} Capped: {_count(over, 'point')} over the cap")
    if purchase.awaiting:
        waiting = _count(purchase.points_awaiting_fulfillment or 0, "point")
        flags.append(f"{_AWAITING} {waiting} awaiting fulfilment")
    return flags


FOUND_MARK = ":mag: *Found:* "
"""What marks the purchase a ``find:`` was looking for, at the start of its row."""


def _purchase_block(
    purchase: Purchase, index: int, *, allow_details: bool, marked: bool = False
) -> dict[str, Any]:
    """One purchase: what and when, then its figures in a fixed order, then any flags."""
    awaiting = purchase.points_awaiting_fulfillment
    # One f-string per purchase (ten a card): building lines and joining them cost twice this.
    text = (
        f"{FOUND_MARK if marked else ''}"
        f"*{_purchase_kind(purchase.purchase_id_type)}* {_escaped_code(purchase.purchase_id)}"
        f"  ·  {_slack_date(purchase.last_date_purchased)}\n"
        f"Total *{_figure(purchase.purchase_total)}*"
        f"  ·  Earned *{_figure(purchase.total_points_earned)}*"
        f"  ·  Awarded *{_figure(purchase.total_points_awarded)}*"
        f"  ·  Awaiting *{_figure(awaiting)}*"
    )
    flags = _purchase_flags(purchase)
    if flags:
        text = f"{text}\n{'   '.join(flags)}"
    details = None
    ref = PurchaseRef(purchase.purchase_id, purchase.purchase_id_type, awaiting)
    value = ref.encode()
    if allow_details and ref.clickable(value):
        details = _button(
            "Details",
            f"{DETAILS_ACTION_PREFIX}_{index}",
            value,
            accessibility_label=f"Details of {_accessible_name(ref)}",
        )
    return _section(text, details)


def _accessible_name(ref: PurchaseRef) -> str:
    """``Order NW-400026``: how a screen reader names one purchase (plain text, clipped)."""
    kind = _PURCHASE_TYPES.get(ref.purchase_id_type, "Purchase")
    return f"{kind} {clip(ref.purchase_id, ACCESSIBILITY_LABEL_MAX - 20)}"


def page_count(paging: Paging) -> int:
    """``paging.pages``, or what ``total`` implies when the API left it out."""
    return paging.pages or math.ceil(paging.total / PAGE_SIZE)


def _link_target(link: str | None, number: int | None, fallback: int) -> int | None:
    """The page a paging link leads to: its ``page`` number, else ``fallback``; None if no link."""
    if not link:
        return None
    page = fallback if number is None else number
    return page if 1 <= page <= MAX_PAGE else None


def _page_buttons(
    query: PurchaseQuery, paging: Paging, *, out_of_range: bool
) -> list[dict[str, Any]]:
    """Previous / Next where the API links to such pages; worded as the way back if lost."""
    last = page_count(paging)
    before = min(query.page - 1, last) if last else query.page - 1
    after = 1 if query.page < 1 else query.page + 1
    prev_page = _link_target(paging.prev_page, paging.prev_page_number, before)
    next_page = _link_target(paging.next_page, paging.next_page_number, after)
    buttons = []
    if prev_page is not None:
        label = f"Back to page {prev_page}" if out_of_range else "Previous"
        buttons.append(_page_button(label, PREV_PAGE_ACTION, query, prev_page))
    if next_page is not None:
        label = f"Go to page {next_page}" if out_of_range else "Next"
        buttons.append(_page_button(label, NEXT_PAGE_ACTION, query, next_page))
    return buttons


def _out_of_range_note(query: PurchaseQuery, paging: Paging) -> str:
    """Why a page of a non-empty history came back empty, in plain words."""
    last = page_count(paging)
    if query.page < 1:
        where = f"Page {_figure(query.page)} is before the first page."
    elif last and query.page > last:
        where = f"Page {_figure(query.page)} is past the last page ({_figure(last)})."
    else:
        where = f"Page {_figure(query.page)} has no purchases."
    return f"{where} This member has {_count(paging.total, 'purchase')}{_range_phrase(query)}."


def _card_head(query: PurchaseQuery) -> list[dict[str, Any]]:
    """Header naming the member as searched; a line saying how and over which dates."""
    how = _searched_as(query)
    return [
        _header(f"Purchases for {query.member}"),
        _context(f"{how[0].upper()}{how[1:]} · {query.range_label or 'all dates'}"),
    ]


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
"""A Slack user id as Slack writes it (the only sharer a card will name)."""


def _share_button(query: PurchaseQuery, target: ShareTarget) -> list[dict[str, Any]]:
    """The Share button for this page, or none when its value would not be read back."""
    ref = ShareRef(query, target)
    value = ref.encode()
    if ShareRef.decode(value) != ref:
        return []
    return [
        _button(
            "Share",
            SHARE_ACTION,
            value,
            accessibility_label="Share: post this card where everyone here can see it",
        )
    ]


def shared_by_user(blocks: object) -> str | None:
    """The sharer a shared copy names (its context block's id), for paging it in place."""
    for block in blocks if isinstance(blocks, list) else []:
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str) and block_id.startswith(SHARED_BY_BLOCK_PREFIX):
            user = block_id[len(SHARED_BY_BLOCK_PREFIX) :]
            if _USER_ID.fullmatch(user):
                return user
    return None


def purchase_card(
    query: PurchaseQuery,
    page: PurchasePage,
    *,
    allow_details: bool = True,
    allow_export: bool = True,
    share: ShareTarget | None = None,
    shared_by: str | None = None,
    summary: MemberSummary | None = None,
    allow_receipts: bool = False,
    headline: tuple[str, str] | None = None,
    notes: Sequence[str] = (),
    marked: int | None = None,
) -> Message:
    """One page of a member's purchase history as a card, with paging and export buttons.

    ``share`` (a private card) adds a Share button; ``shared_by`` (a shared copy) names who
    shared it in a context line and in the fallback text; ``summary`` puts the member's
    points line under the header and a Points button beside Export; ``allow_receipts`` adds
    Receipts (the member's receipt scans, over the card's dates), even when no purchase is
    listed: a scan that scored nothing never shows up as a purchase. A find or a filter gives
    the line that replaces the count and position (``headline``: mrkdwn, and plain words for
    the fallback text), context lines under it (``notes``: the range's totals) and the row it
    found (``marked``, its index on the page).
    """
    paging = page.paging
    who = f"{escape(clip(query.member, _MEMBER_SHOWN))}{_range_phrase(query)}"
    blocks = _card_head(query)
    blocks.extend(balance_blocks(summary))
    sharer = shared_by if shared_by and _USER_ID.fullmatch(shared_by) else None
    if sharer:
        blocks.append(
            {
                "type": "context",
                "block_id": f"{SHARED_BY_BLOCK_PREFIX}{sharer}",
                "elements": [_mrkdwn(f":busts_in_silhouette: Shared by <@{sharer}>")],
            }
        )
    if page.purchases:
        total = _count(max(paging.total, len(page.purchases)), "purchase")
        position = f"Page {_figure(query.page)} of {_figure(max(page_count(paging), 1))}"
        blocks.append(_section(headline[0] if headline else f"*{total}*  ·  {position}"))
        blocks.extend(_context(note) for note in notes)
        blocks.append(_divider())
        blocks.extend(
            _purchase_block(purchase, i, allow_details=allow_details, marked=i == marked)
            for i, purchase in enumerate(page.purchases[:PAGE_SIZE])
        )
        buttons = _page_buttons(query, paging, out_of_range=False)
        if allow_export:
            buttons.append(_page_button("Export CSV", EXPORT_ACTION, query, 1))
        if buttons:
            blocks.append(_divider())
        said = headline[1] if headline else f"{total}, {position.lower()}"
        text = f"Purchases for {who} ({_searched_as(query)}): {said}"
    elif paging.total > 0:
        note = _out_of_range_note(query, paging)
        blocks.append(_section(note))
        buttons = _page_buttons(query, paging, out_of_range=True)
        text = f"Purchases for {who}: {note}"
    else:
        none = f"No purchases{_range_phrase(query)}."
        blocks.append(_section(none))
        buttons = []
        text = f"No purchases for {who} ({_searched_as(query)})."
    buttons = [*buttons, *points_button(query, summary)]
    if allow_receipts:
        buttons = [*buttons, _page_button("Receipts", RECEIPTS_ACTION, query, 1)]
    if share is not None:
        buttons = [*buttons, *_share_button(query, share)]
    if sharer:
        text = f"<@{sharer}> shared: {text}"
    return _message(text, blocks + _actions(buttons))
