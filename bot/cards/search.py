"""What ``find:`` and ``only:`` show: the found purchase's page with its row marked, the
matching purchases ten a card, the range's totals, the progress note, and the answers when
nothing is found or nothing matches (all pure: the gathering is :mod:`bot.answers.history`'s)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.blockkit import Message, escape
from bot.cards.parts import (
    _MEMBER_SHOWN,
    _context,
    _count,
    _escaped_code,
    _figure,
    _lookup_line,
    _notice,
    _range_phrase,
)
from bot.cards.purchases import PAGE_SIZE, points_over_cap, purchase_card
from bot.crowdtwist.models import Paging, Purchase, PurchasePage
from bot.crowdtwist.summary import MemberSummary
from bot.query import PurchaseQuery
from bot.query.model import Only
from bot.share import ShareTarget
from bot.text import clip

_FOUND_SHOWN = 80


def matches(purchase: Purchase, only: Only) -> bool:
    """Whether ``purchase`` is one ``only:`` keeps (the card's own awaiting and cap rules)."""
    awaiting = purchase.awaiting
    if only is Only.AWAITING:
        return awaiting
    capped = (
        points_over_cap(
            purchase.total_points_earned,
            purchase.total_points_awarded,
            purchase.points_awaiting_fulfillment,
        )
        > 0
    )
    return capped if only is Only.CAPPED else capped or awaiting


@dataclass(frozen=True, slots=True)
class RangeTotals:
    """Sums over every purchase of a range; a figure a purchase did not report is left out
    of its sum, and ``unknown`` counts the purchases that left one out."""

    purchases: int
    earned: int
    awarded: int
    awaiting: int
    shortfall: int
    """Points over the cap: earned beyond awarded plus awaiting."""
    unknown: int

    @classmethod
    def of(cls, purchases: Sequence[Purchase]) -> RangeTotals:
        earned = awarded = awaiting = shortfall = unknown = 0
        for p in purchases:
            figures = (p.total_points_earned, p.total_points_awarded, p.points_awaiting_fulfillment)
            if None in figures:
                unknown += 1
            earned += p.total_points_earned or 0
            awarded += p.total_points_awarded or 0
            awaiting += p.points_awaiting_fulfillment or 0
            shortfall += points_over_cap(*figures)
        return cls(len(purchases), earned, awarded, awaiting, shortfall, unknown)


def totals_line(totals: RangeTotals) -> str:
    """The range's totals in one context line."""
    line = (
        f"Over the range's {_count(totals.purchases, 'purchase')}: "
        f"earned *{_figure(totals.earned)}*  ·  awarded *{_figure(totals.awarded)}*"
        f"  ·  awaiting *{_figure(totals.awaiting)}*"
        f"  ·  shortfall *{_figure(totals.shortfall)}* over the cap"
    )
    if totals.unknown:
        did = "does" if totals.unknown == 1 else "do"
        line += (
            f"  ·  {_count(totals.unknown, 'purchase')} {did} not report every figure: "
            "those figures are unknown and left out"
        )
    return line


def found_line(find: str, page: int, pages: int, total: int) -> tuple[str, str]:
    """``Found NW-400026 on page 3 of 21``, the line that heads a found purchase's page
    (mrkdwn, and the same words for the fallback text)."""
    shown = escape(clip(find, _FOUND_SHOWN))
    where = f"Found {shown} on page {_figure(page)} of {_figure(max(pages, page))}"
    return f":mag: *{where}*  ·  {_count(total, 'purchase')}", where


def found_card(
    query: PurchaseQuery,
    page: PurchasePage,
    *,
    number: int,
    row: int,
    pages: int,
    totals: RangeTotals | None,
    share: ShareTarget | None = None,
    shared_by: str | None = None,
    summary: MemberSummary | None = None,
    allow_receipts: bool = False,
) -> Message:
    """Page ``number`` with the found purchase's row marked; paging on from it as usual
    (``summary`` and ``allow_receipts`` as on any card)."""
    plain = query.plain(number)
    return purchase_card(
        plain,
        page,
        share=share,
        shared_by=shared_by,
        summary=summary,
        allow_receipts=allow_receipts,
        headline=found_line(query.find or "", number, pages, page.paging.total),
        notes=[totals_line(totals)] if totals else (),
        marked=row,
    )


def not_found_message(
    query: PurchaseQuery,
    *,
    searched: int,
    read: int,
    pages: int,
    cap: int | None,
    busy_seconds: float | None,
) -> Message:
    """No purchase with that id: how many were searched, and what stopped the search early."""
    wanted = _escaped_code(query.find or "", _FOUND_SHOWN)
    text = (
        f"No purchase {wanted} among the {_count(searched, 'purchase')} searched"
        f"{_range_phrase(query)} ({_figure(read)} of {_count(pages, 'page')})."
    )
    if busy_seconds is not None:
        text += (
            " CrowdTwist's request budget ran out before the rest could be read: "
            f"try again in {max(1, math.ceil(busy_seconds))} s."
        )
    elif cap is not None:
        text += (
            f" The search stopped at the page cap ({_count(cap, 'page')}, `EXPORT_MAX_PAGES`): "
            "narrow the dates to search the older purchases."
        )
    return _notice(text, context=_lookup_line(query))


def matches_page(matching: Sequence[Purchase], number: int) -> PurchasePage:
    """Page ``number`` of the matching purchases, linked to its neighbours like a CrowdTwist
    page, so the card pages over the matches with its usual buttons."""
    pages = math.ceil(len(matching) / PAGE_SIZE)
    first = (number - 1) * PAGE_SIZE
    return PurchasePage(
        purchases=list(matching[first : first + PAGE_SIZE]) if number >= 1 else [],
        paging=Paging(
            total=len(matching),
            pages=pages,
            next_page=f"?page={number + 1}" if 1 <= number < pages else None,
            prev_page=f"?page={number - 1}" if 1 < number <= pages + 1 else None,
        ),
    )


def filtered_card(
    query: PurchaseQuery,
    matching: Sequence[Purchase],
    *,
    gathered: int,
    totals: RangeTotals | None,
    capped_at: int | None,
    share: ShareTarget | None = None,
    shared_by: str | None = None,
    summary: MemberSummary | None = None,
    allow_receipts: bool = False,
) -> Message:
    """Page ``query.page`` of the purchases ``query.only`` keeps, or why there are none
    (``summary`` and ``allow_receipts`` as on any card)."""
    only = query.only or Only.SHORT
    notes = [totals_line(totals)] if totals and totals.purchases else []
    if capped_at is not None:
        notes.append(
            f"Only the newest {_count(capped_at, 'page')} were read (`EXPORT_MAX_PAGES`): "
            "narrow the dates to see older purchases."
        )
    if not matching:
        who = escape(clip(query.member, _MEMBER_SHOWN))
        text = f"None of the {_count(gathered, 'purchase')}{_range_phrase(query)} {only.phrase}."
        message = _notice(text, context=_lookup_line(query))
        message["blocks"] += [_context(note) for note in notes]
        message["text"] = f"{who}: {text}"
        return message
    pages = math.ceil(len(matching) / PAGE_SIZE)
    kept = f"{_figure(len(matching))} of {_count(gathered, 'purchase')} {only.phrase}"
    position = f"Page {_figure(query.page)} of {_figure(pages)}"
    return purchase_card(
        query,
        matches_page(matching, query.page),
        share=share,
        shared_by=shared_by,
        summary=summary,
        allow_receipts=allow_receipts,
        headline=(f"*{kept}*  ·  {position}", f"{kept}, {position.lower()}"),
        notes=notes,
    )


def progress_message(query: PurchaseQuery, read: int, pages: int) -> Message:
    """``Searching… 8 of 21 pages``: the private note a long gathering shows meanwhile."""
    text = f":hourglass_flowing_sand: Searching… {_figure(read)} of {_count(pages, 'page')}"
    return _notice(text, context=_lookup_line(query))
