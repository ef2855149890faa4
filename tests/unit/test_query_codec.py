"""bot.query.codec: a query in a button value and back; tampered values refused."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.crowdtwist.models import IdType
from bot.query import (
    MAX_MEMBER_LENGTH,
    MAX_PAGE,
    PurchaseQuery,
    decode_query,
    encode_query,
    query_from_form,
)
from bot.query.model import MAX_FIND_LENGTH, Only
from tests.support.query_helpers import EMAIL, ID, JANE, PHONE, THIRD, dates, members

# --------------------------------------------------------------------------------------------
# encode_query / decode_query
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        PurchaseQuery(JANE, EMAIL),
        PurchaseQuery(JANE, EMAIL, id_type_inferred=False, page=MAX_PAGE),
        PurchaseQuery("+15550100040", PHONE, start=date(2024, 3, 1)),
        PurchaseQuery("12345", ID, end=date(2024, 3, 31), page=7),
        PurchaseQuery('EU/42 "B" \\ é 日本', THIRD, start=date(1, 1, 1), end=date(9999, 12, 31)),
        PurchaseQuery("x" * MAX_MEMBER_LENGTH, THIRD),
        PurchaseQuery('"' * MAX_MEMBER_LENGTH, THIRD),
        PurchaseQuery(JANE, EMAIL, find="NW-400026"),
        PurchaseQuery(JANE, EMAIL, start=date(2024, 1, 1), find="EU 42 é"),
        PurchaseQuery('"' * MAX_MEMBER_LENGTH, THIRD, find='"' * MAX_FIND_LENGTH),
        PurchaseQuery("\\" * MAX_MEMBER_LENGTH, THIRD, find="\\" * MAX_FIND_LENGTH),
        PurchaseQuery(JANE, EMAIL, page=MAX_PAGE, only=Only.AWAITING),
        PurchaseQuery('"' * MAX_MEMBER_LENGTH, THIRD, False, date(1, 1, 1), only=Only.SHORT),
    ],
)
def test_encode_decode_round_trip(query: PurchaseQuery) -> None:
    value = encode_query(query)
    assert len(value) <= 2000
    assert decode_query(value) == query


def _value(**changes: object) -> str:
    data: dict[str, object] = {"m": JANE, "t": "email", "p": 2}
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None})


def test_decode_query_reads_a_good_value() -> None:
    assert decode_query(_value()) == PurchaseQuery(JANE, EMAIL, page=2)
    assert decode_query(_value(x=1, s="2024-03-01", e="2024-03-31")) == PurchaseQuery(
        JANE, EMAIL, False, date(2024, 3, 1), date(2024, 3, 31), 2
    )
    assert decode_query('{"m":"jane@example.com","t":"email"}') == PurchaseQuery(JANE, EMAIL)
    assert decode_query(_value(p=1, f="NW-1")) == PurchaseQuery(JANE, EMAIL, find="NW-1")
    assert decode_query(_value(o="capped")) == PurchaseQuery(JANE, EMAIL, page=2, only=Only.CAPPED)


@pytest.mark.parametrize(
    "value",
    [
        _value(p=1, f="NW-1", o="short"),  # find and only together
        _value(p=2, f="NW-1"),  # a find is never on a later page
        _value(p=1, f=""),
        _value(p=1, f="   "),
        _value(p=1, f="x" * (MAX_FIND_LENGTH + 1)),
        _value(p=1, f="a\nb"),
        _value(p=1, f=7),
        _value(p=1, f=["NW-1"]),
        _value(o="everything"),
        _value(o="AWAITING"),
        _value(o=1),
        _value(o=["short"]),
        _value(o=None) + "x",
    ],
)
def test_decode_query_rejects_tampered_find_and_only(value: str) -> None:
    assert decode_query(value) is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "null",
        "[]",
        '"jane"',
        "42",
        "not json",
        "{",
        "[" * 1000 + "]" * 1000,
        '{"m":' * 600 + "1" + "}" * 600,
        "x" * 2001,
        _value(m=""),
        _value(m="   "),
        _value(m=123),
        _value(m="x" * (MAX_MEMBER_LENGTH + 1)),
        _value(m="a\x00b"),
        _value(m="a\nb"),
        _value(m="\ud800"),
        _value(m=None),
        _value(t="username"),
        _value(t="EMAIL"),
        _value(t=None),
        _value(t=1),
        _value(p=0),
        _value(p=-1),
        _value(p=MAX_PAGE + 1),
        _value(p="2"),
        _value(p=2.0),
        _value(p=True),
        _value(x=0),
        _value(x=True),
        _value(x="1"),
        _value(s="2024-02-30"),
        _value(s="20240301"),
        _value(s="2024-W09-1"),
        _value(s=20240301),
        _value(s="2024-03-01", e="2024-02-01"),
        '{"m":"jane@example.com","t":"email","s":null}',
        _value(admin=True),
        '{"m":"jane@example.com","t":"email","p":NaN}',
        '{"m":"jane@example.com","t":"email","p":1e400}',
    ],
)
def test_decode_query_rejects_tampered_values(value: str | None) -> None:
    assert decode_query(value) is None


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@st.composite
def _valid_queries(draw: st.DrawFn) -> PurchaseQuery:
    member = draw(
        members.map(lambda m: m.member)
        | st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs")), max_size=300)
    )
    named = draw(st.sampled_from([None, "infer", *[kind.value for kind in IdType]]))
    start, end = draw(st.none() | dates), draw(st.none() | dates)
    if start and end and end < start:
        start, end = end, start
    find = draw(
        st.sampled_from(["", "NW-400026"])
        | st.text(
            st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs")),
            max_size=MAX_FIND_LENGTH,
        )
    )
    only = draw(st.sampled_from([None, "all", *[o.value for o in Only]]))
    result = query_from_form(member, named, start, end, find, only)
    assume(isinstance(result, PurchaseQuery))
    assert isinstance(result, PurchaseQuery)
    if result.find is not None:
        return result
    return result.with_page(draw(st.integers(1, MAX_PAGE)))


@settings(max_examples=500, deadline=None)
@given(query=_valid_queries())
def test_decode_inverts_encode_for_any_valid_query(query: PurchaseQuery) -> None:
    value = encode_query(query)
    assert len(value) <= 2000
    assert decode_query(value) == query


@settings(max_examples=300, deadline=None)
@given(
    member=st.text(st.characters(min_codepoint=32, codec="utf-8"), min_size=1, max_size=254),
    id_type=st.sampled_from(IdType),
    inferred=st.booleans(),
    start=st.none() | dates,
    end=st.none() | dates,
    page=st.integers(1, MAX_PAGE),
)
def test_decode_inverts_encode_for_any_well_formed_query(
    member: str,
    id_type: IdType,
    inferred: bool,
    start: date | None,
    end: date | None,
    page: int,
) -> None:
    assume(member.strip())
    if start and end and end < start:
        start, end = end, start
    query = PurchaseQuery(member, id_type, inferred, start, end, page)
    value = encode_query(query)
    assert len(value) <= 2000
    assert decode_query(value) == query


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=500, deadline=None)
@given(
    value=st.text(max_size=2100)
    | _json_values.map(json.dumps)
    | st.dictionaries(st.sampled_from(list("mtpxsefo")), _json_values, max_size=8).map(json.dumps)
)
def test_decode_query_never_raises(value: str) -> None:
    decoded = decode_query(value)
    if decoded is not None:
        assert 1 <= decoded.page <= MAX_PAGE
        assert decoded.member.strip()
        assert decoded.find is None or decoded.only is None
        assert decode_query(encode_query(decoded)) == decoded
