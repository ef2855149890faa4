"""bot.cards.search: the found card, the filtered card, totals, progress, and the form's fields."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import cards
from bot.cards.purchases import FOUND_MARK
from bot.cards.search import found_line, matches_page, totals_line
from bot.crowdtwist.models import IdType, Purchase, PurchasePage
from bot.query import MAX_PAGE, PurchaseQuery, decode_query
from bot.query.model import MAX_FIND_LENGTH, Only
from bot.share import ShareTarget
from bot.slack_ids import (
    EXPORT_ACTION,
    FORM_FIND_ACTION,
    FORM_FIND_BLOCK,
    FORM_ONLY_ACTION,
    FORM_ONLY_BLOCK,
    NEXT_PAGE_ACTION,
    PREV_PAGE_ACTION,
    SHARE_ACTION,
)
from tests.support.blockkit_rules import assert_valid_message, assert_valid_view
from tests.support.render import render_text
from tests.unit.test_cards import buttons

JANE = "jane@example.com"
TARGET = ShareTarget("C0123456789")


def row(
    purchase_id: str, earned: int | None, awarded: int | None, awaiting: int | None
) -> Purchase:
    data = {
        "purchase_id": purchase_id,
        "purchase_id_type": "order_id",
        "last_date_purchased": "2024-03-05T14:02:00Z",
        "purchase_total": 100,
        "total_points_earned": earned,
        "total_points_awarded": awarded,
        "points_awaiting_fulfillment": awaiting,
    }
    return Purchase.model_validate({k: v for k, v in data.items() if v is not None})


PLAIN = row("plain", 100, 100, 0)
AWAITING = row("awaiting", 300, 100, 200)
CAPPED = row("capped", 900, 500, 0)
BOTH = row("both", 900, 300, 100)  # 500 over the cap and 100 awaiting
UNKNOWN = row("unknown", 100, None, None)


def decoded(button: dict[str, Any]) -> PurchaseQuery:
    query = decode_query(button["value"])
    assert query is not None
    return query


@pytest.mark.parametrize(
    ("purchase", "awaiting", "capped", "short"),
    [
        (PLAIN, False, False, False),
        (AWAITING, True, False, True),
        (CAPPED, False, True, True),
        (BOTH, True, True, True),
        (UNKNOWN, False, False, False),
    ],
)
def test_each_filter_uses_the_cards_own_rules(
    purchase: Purchase, awaiting: bool, capped: bool, short: bool
) -> None:
    assert cards.matches(purchase, Only.AWAITING) is awaiting
    assert cards.matches(purchase, Only.CAPPED) is capped
    assert cards.matches(purchase, Only.SHORT) is short


def test_range_totals_sum_known_figures_and_count_unknown_ones() -> None:
    totals = cards.RangeTotals.of([PLAIN, AWAITING, CAPPED, BOTH, UNKNOWN])
    assert (totals.earned, totals.awarded, totals.awaiting) == (2300, 1000, 300)
    assert totals.shortfall == 400 + 500  # the cap rule, purchase by purchase
    assert (totals.purchases, totals.unknown) == (5, 1)
    line = totals_line(totals)
    assert "earned *2,300*  ·  awarded *1,000*  ·  awaiting *300*  ·  shortfall *900*" in line
    assert "1 purchase does not report every figure" in line
    assert "not report" not in totals_line(cards.RangeTotals.of([PLAIN]))


def test_found_card_marks_the_row_and_says_where() -> None:
    purchases = [row(f"NW-{i}", 10, 10, 0) for i in range(10)]
    page = PurchasePage.model_validate(
        {
            "purchases": [p.model_dump() for p in purchases],
            "paging": {"total": 203, "pages": 21, "prev_page": "?page=2", "next_page": "?page=4"},
        }
    )
    query = PurchaseQuery(JANE, IdType.EMAIL, find="NW-6")
    card = cards.found_card(query, page, number=3, row=6, pages=21, totals=None, share=TARGET)
    assert_valid_message(card)
    text = render_text(card)
    assert "Found NW-6 on page 3 of 21" in text
    assert card["text"].endswith("(searched as email): Found NW-6 on page 3 of 21")
    marked = [line for line in text.splitlines() if FOUND_MARK.strip() in line]
    assert len(marked) == 1 and "`NW-6`" in marked[0]
    found = buttons(card)
    # Paging on from the found page: plain queries, no find.
    assert decoded(found[NEXT_PAGE_ACTION]) == PurchaseQuery(JANE, IdType.EMAIL, page=4)
    assert decoded(found[PREV_PAGE_ACTION]) == PurchaseQuery(JANE, IdType.EMAIL, page=2)
    assert decoded(found[EXPORT_ACTION]).find is None
    assert SHARE_ACTION in found
    assert "Over the range" not in text
    with_totals = cards.found_card(
        query, page, number=3, row=6, pages=21, totals=cards.RangeTotals.of(purchases)
    )
    assert "Over the range's 10 purchases: earned *100*" in render_text(with_totals)


def test_not_found_says_what_was_searched_and_what_stopped_it() -> None:
    query = PurchaseQuery(JANE, IdType.EMAIL, start=date(2024, 1, 1), find="NW-9")
    whole = cards.not_found_message(
        query, searched=203, read=21, pages=21, cap=None, busy_seconds=None
    )
    text = render_text(whole)
    assert "No purchase `NW-9` among the 203 purchases searched since 2024-01-01" in text
    assert "(21 of 21 pages)" in text and "cap" not in text
    capped = render_text(
        cards.not_found_message(query, searched=500, read=50, pages=80, cap=50, busy_seconds=None)
    )
    assert "(50 of 80 pages)" in capped and "page cap (50 pages, `EXPORT_MAX_PAGES`)" in capped
    busy = render_text(
        cards.not_found_message(query, searched=40, read=4, pages=21, cap=None, busy_seconds=12.2)
    )
    assert "request budget ran out" in busy and "try again in 13 s" in busy
    for message in (whole,):
        assert_valid_message(message)


def test_filtered_card_pages_over_the_matches() -> None:
    kept = [row(f"A-{i}", 300, 100, 200) for i in range(14)]
    query = PurchaseQuery(JANE, IdType.EMAIL, only=Only.AWAITING)
    totals = cards.RangeTotals.of(kept)
    first = cards.filtered_card(
        query, kept, gathered=203, totals=totals, capped_at=None, share=TARGET
    )
    assert_valid_message(first)
    text = render_text(first)
    assert "*14 of 203 purchases have points awaiting*  ·  Page 1 of 2" in text
    assert first["text"].endswith(": 14 of 203 purchases have points awaiting, page 1 of 2")
    assert "Over the range's 14 purchases" in text
    assert all(f"`A-{i}`" in text for i in range(10)) and "`A-10`" not in text
    nxt = decoded(buttons(first)[NEXT_PAGE_ACTION])
    assert nxt == PurchaseQuery(JANE, IdType.EMAIL, page=2, only=Only.AWAITING)
    assert PREV_PAGE_ACTION not in buttons(first)
    second = cards.filtered_card(nxt, kept, gathered=203, totals=totals, capped_at=None)
    text = render_text(second)
    assert "Page 2 of 2" in text and "`A-13`" in text and "`A-9`" not in text
    assert NEXT_PAGE_ACTION not in buttons(second)
    assert decoded(buttons(second)[PREV_PAGE_ACTION]).page == 1


def test_a_filter_that_matches_nothing_says_none_match() -> None:
    query = PurchaseQuery(JANE, IdType.EMAIL, end=date(2024, 6, 30), only=Only.CAPPED)
    message = cards.filtered_card(
        query, [], gathered=12, totals=cards.RangeTotals.of([PLAIN]), capped_at=50
    )
    assert_valid_message(message)
    text = render_text(message)
    assert "None of the 12 purchases until 2024-06-30 were capped." in text
    assert "Only the newest 50 pages were read" in text
    assert NEXT_PAGE_ACTION not in buttons(message)


def test_matches_page_links_like_crowdtwist() -> None:
    kept = [PLAIN] * 25
    assert matches_page(kept, 1).paging.next_page_number == 2
    assert matches_page(kept, 1).paging.prev_page is None
    assert matches_page(kept, 3).paging.next_page is None
    assert len(matches_page(kept, 3).purchases) == 5
    assert matches_page(kept, 9).purchases == []
    assert matches_page(kept, 9).paging.prev_page is None


def test_progress_note() -> None:
    note = cards.progress_message(PurchaseQuery(JANE, IdType.EMAIL, find="NW-1"), 8, 21)
    assert_valid_message(note)
    assert "Searching… 8 of 21 pages" in render_text(note)


def test_found_line_clips_a_long_id() -> None:
    line, words = found_line("&" * MAX_FIND_LENGTH, MAX_PAGE, MAX_PAGE, 10**9)
    assert len(line) < 600 and "&amp;" in line and words in line


def test_the_form_has_the_purchase_id_and_show_only() -> None:
    view = cards.lookup_modal(private_metadata="{}", find="NW-1", only=Only.SHORT)
    assert_valid_view(view)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[FORM_FIND_BLOCK]["optional"] is True
    assert blocks[FORM_FIND_BLOCK]["element"]["action_id"] == FORM_FIND_ACTION
    assert blocks[FORM_FIND_BLOCK]["element"]["initial_value"] == "NW-1"
    select = blocks[FORM_ONLY_BLOCK]["element"]
    assert select["action_id"] == FORM_ONLY_ACTION
    assert [o["value"] for o in select["options"]] == ["all", "awaiting", "capped", "short"]
    assert select["initial_option"]["value"] == "short"
    text = render_text(view)
    assert "Purchase id" in text and "Show only" in text


_figures = st.none() | st.integers(-(10**18), 10**18)


@settings(max_examples=150, deadline=None)
@given(
    figures=st.lists(st.tuples(_figures, _figures, _figures), max_size=40),
    only=st.sampled_from(Only),
    page=st.integers(1, 6),
    member=st.text(min_size=1, max_size=254),
)
def test_any_filtered_card_stays_within_block_kits_limits(
    figures: list[tuple[int | None, int | None, int | None]], only: Only, page: int, member: str
) -> None:
    rows = [row(f"&<{i}>" * 60, *f) for i, f in enumerate(figures)]
    kept = [p for p in rows if cards.matches(p, only)]
    query = PurchaseQuery(member, IdType.THIRD_PARTY_ID, page=page, only=only)
    card = cards.filtered_card(
        query,
        kept,
        gathered=len(rows),
        totals=cards.RangeTotals.of(rows),
        capped_at=None,
        share=TARGET,
    )
    assert_valid_message(card)


def test_the_lookup_line_and_app_home_name_the_find_or_filter() -> None:
    find = PurchaseQuery(JANE, IdType.EMAIL, find="NW-1")
    only = PurchaseQuery(JANE, IdType.EMAIL, only=Only.CAPPED)
    assert render_text(
        cards.not_found_message(find, searched=1, read=1, pages=1, cap=None, busy_seconds=None)
    ).endswith("`jane@example.com`, searched as email, `find:NW-1`")
    home = cards.home_view([(find, 1_700_000_000.0), (only, 1_700_000_000.0)])
    assert_valid_view(home)
    text = render_text(home)
    assert "all dates  ·  `find:NW-1`" in text and "all dates  ·  `only:capped`" in text
