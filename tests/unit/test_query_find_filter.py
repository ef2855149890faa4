"""find: and only: in the command language, the lookup form and button values."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.query import HELP_TEXT, MAX_BUTTON_VALUE, PurchaseQuery, decode_query, encode_query
from bot.query.members import query_from_form
from bot.query.model import MAX_FIND_LENGTH, Only
from bot.share import ShareRef, ShareTarget
from tests.support.query_helpers import EMAIL, JANE, THIRD, d, error_of, members, parsed_query

# --------------------------------------------------------------------------------------------
# Every form
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "find"),
    [
        (f"{JANE} find:NW-400026", "NW-400026"),
        (f"{JANE} find NW-400026", "NW-400026"),
        (f"{JANE} FIND:nw-400026", "nw-400026"),
        (f'{JANE} find:"EU 42"', "EU 42"),
        (f'{JANE} find "EU 42"', "EU 42"),
        (f"{JANE} find:“EU 42 B”", "EU 42 B"),
        (f'{JANE} Find:"  EU/42 #B  "', "EU/42 #B"),
        (f"{JANE} find: NW-1", "NW-1"),
        (f"{JANE} find:0218-20261031-01-400027", "0218-20261031-01-400027"),
        (f"{JANE} find:{'x' * MAX_FIND_LENGTH}", "x" * MAX_FIND_LENGTH),
    ],
)
def test_find_forms(text: str, find: str) -> None:
    query = parsed_query(text)
    assert (query.member, query.find, query.only, query.page) == (JANE, find, None, 1)


@pytest.mark.parametrize(
    ("text", "only"),
    [
        (f"{JANE} only:awaiting", Only.AWAITING),
        (f"{JANE} only:capped", Only.CAPPED),
        (f"{JANE} only:short", Only.SHORT),
        (f"{JANE} ONLY:Short", Only.SHORT),
        (f"{JANE} only awaiting", Only.AWAITING),
    ],
)
def test_only_forms(text: str, only: Only) -> None:
    query = parsed_query(text)
    assert (query.find, query.only, query.page) == (None, only, 1)


def test_dates_still_narrow_a_find_or_a_filter() -> None:
    query = parsed_query(f"{JANE} 2024-03 find:NW-1")
    assert (query.start, query.end, query.find) == (d("2024-03-01"), d("2024-03-31"), "NW-1")
    query = parsed_query(f"{JANE} only:capped since 2024-01-01 until 2024-02-01")
    assert (query.start, query.end, query.only) == (d("2024-01-01"), d("2024-02-01"), Only.CAPPED)
    query = parsed_query('"EU/42 B" type:3p last month only:short')
    assert (query.id_type, query.start, query.only) == (THIRD, d("2024-04-01"), Only.SHORT)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"{JANE} find:NW-1 only:short",
            "`find:NW-1` and `only:short` cannot go together: "
            "give one of `find:`, `only:` and `page:`.",
        ),
        (f"{JANE} only:capped page:2", "`only:capped` and `page:2` cannot go together"),
        (f"{JANE} receipts find:NW-1", "`receipts` and `find:NW-1` cannot go together"),
        (f"{JANE} only:short receipts", "`receipts` and `only:short` cannot go together"),
        (f"{JANE} page:2 find NW-1", "`find NW-1` and `page:2` cannot go together"),
        (
            f"{JANE} find:a find:b",
            "The purchase to find is set twice: by `find:a` and by `find:b`.",
        ),
        (f"{JANE} only:short only:capped", "The filter is set twice"),
        (f"{JANE} find", "`find` needs a purchase id after it, like `find:NW-400026`."),
        (f'{JANE} find:""', "needs a purchase id after it"),
        (f"{JANE} find:{'x' * (MAX_FIND_LENGTH + 1)}", "is too long for a purchase id"),
        (f"{JANE} only", "needs a filter after it: `only:awaiting`, `only:capped`"),
        (f"{JANE} only:everything", "Unknown filter `everything`: use `only:awaiting`"),
        (f'{JANE} only:"capped"', 'Unknown filter `"capped"`'),
        (f'{JANE} find:"EU 42', "is never closed"),
        ("find:NW-1", "Tell me whose purchases to show"),
        ("only:short jane@example.com", "Start with the member"),
        (f"{JANE} fnd:NW-1", "use `from:`, `to:`, `type:`, `page:`, `find:` or `only:`"),
    ],
)
def test_every_conflict_and_mistake_is_refused(text: str, message: str) -> None:
    assert message in error_of(text)


def test_the_help_text_shows_find_and_filter_and_each_example_works() -> None:
    section = HELP_TEXT.split("*Find and filter*")[1].split("*More*")[0]
    spans = [s for s in re.findall(r"`([^`]+)`", section) if not s.endswith(":")]
    assert len(spans) >= 5
    for span in spans:
        assert parsed_query(f"{JANE} {span}").gathers, span
    assert "find:NW-400026`" in HELP_TEXT and "only:short`" in HELP_TEXT


# --------------------------------------------------------------------------------------------
# The lookup form
# --------------------------------------------------------------------------------------------


def test_the_form_reads_a_purchase_id_or_a_choice() -> None:
    found = query_from_form(JANE, None, None, None, "  NW-400026 ", "all")
    assert found == PurchaseQuery(JANE, EMAIL, find="NW-400026")
    only = query_from_form(JANE, "infer", None, None, "", "capped")
    assert only == PurchaseQuery(JANE, EMAIL, only=Only.CAPPED)
    assert query_from_form(JANE, None, None, None) == PurchaseQuery(JANE, EMAIL)


@pytest.mark.parametrize(
    ("find", "only", "field", "message"),
    [
        ("NW-1", "short", "find", "leave one of the two empty"),
        ("x" * (MAX_FIND_LENGTH + 1), None, "find", f"at most {MAX_FIND_LENGTH} characters"),
        ("a\x00b", None, "find", "characters no purchase id has"),
        ("", "everything", "only", "Unknown choice “everything”"),
    ],
)
def test_the_form_refuses_a_bad_purchase_id_or_choice(
    find: str, only: str | None, field: str, message: str
) -> None:
    errors = query_from_form(JANE, None, None, None, find, only)
    assert isinstance(errors, dict)
    assert message in errors[field]


# --------------------------------------------------------------------------------------------
# Properties: button values round-trip under Slack's limit
# --------------------------------------------------------------------------------------------

_id_chars = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"))
_ids = st.text(_id_chars, min_size=1, max_size=MAX_FIND_LENGTH).filter(
    lambda s: not any(q in s for q in '"“”„<>') and not s.startswith(("'",))
)


@settings(max_examples=400, deadline=None)
@given(member=members, wanted=_ids, quoted=st.booleans(), colon=st.booleans())
def test_any_purchase_id_is_found_as_typed_and_survives_a_button(
    member: Any, wanted: str, quoted: bool, colon: bool
) -> None:
    text_of_member = member.text
    shown = f'"{wanted}"' if quoted else wanted
    query = parsed_query(f"{text_of_member} find{':' if colon else ' '}{shown}")
    assume(query.find is not None)
    assert query.find == wanted.strip()
    value = encode_query(query)
    assert len(value) <= MAX_BUTTON_VALUE
    assert decode_query(value) == query


@settings(max_examples=300, deadline=None)
@given(
    member=st.text(st.characters(min_codepoint=32, codec="utf-8"), min_size=1, max_size=254),
    find=st.none()
    | st.text(st.characters(min_codepoint=32, codec="utf-8"), min_size=1, max_size=MAX_FIND_LENGTH),
    only=st.none() | st.sampled_from(Only),
    page=st.integers(1, 100_000),
    start=st.none() | st.dates(min_value=date(1, 1, 1)),
)
def test_find_and_only_round_trip_through_button_values(
    member: str, find: str | None, only: Only | None, page: int, start: date | None
) -> None:
    assume(member.strip() and (find is None or find.strip()))
    if find is not None:
        only, page = None, 1
    query = PurchaseQuery(member, THIRD, True, start, None, page, find, only)
    value = encode_query(query)
    assert len(value) <= MAX_BUTTON_VALUE
    assert decode_query(value) == query
    # A Share button carries the query once more; when it would not fit, the card draws none.
    shared = ShareRef(query, ShareTarget("C0123456789", "1700000000.000100")).encode()
    assert ShareRef.decode(shared) in (
        None,
        ShareRef(query, ShareTarget("C0123456789", "1700000000.000100")),
    )
    if len(shared) <= MAX_BUTTON_VALUE:
        assert ShareRef.decode(shared) is not None
