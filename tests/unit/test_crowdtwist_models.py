"""The models: lenient where the real API is, strict about what cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cards import points_over_cap
from bot.crowdtwist.models import (
    IdType,
    Paging,
    Purchase,
    PurchaseDetail,
    PurchaseIdType,
    PurchasePage,
    page_number_of,
)

SAMPLE = {
    "purchases": [
        {
            "last_date_purchased": "2018-01-01T11:00:18Z",
            "purchase_id": "order_100",
            "purchase_id_type": "order_id",
            "purchase_total": 400,
            "total_points_awarded": 400,
            "total_points_earned": 500,
            "points_awaiting_fulfillment": 100,
        }
    ],
    "paging": {
        "total": 203,
        "pages": 21,
        "next_page": "https://pos12.crowdtwist.com/users/332170040/purchases?id_type=id&page=2",
        "prev_page": "",
    },
}


def test_the_documented_sample() -> None:
    page = PurchasePage.model_validate(SAMPLE)
    (row,) = page.purchases
    assert row.purchase_id == "order_100"
    assert row.purchase_id_type == PurchaseIdType.ORDER_ID
    assert row.last_date_purchased == datetime(2018, 1, 1, 11, 0, 18, tzinfo=UTC)
    assert row.purchase_total == 400
    # earned 500 = awarded 400 + awaiting 100: points still to come, not a cap.
    over = points_over_cap(
        row.total_points_earned, row.total_points_awarded, row.points_awaiting_fulfillment
    )
    assert over == 0
    assert row.awaiting
    assert (page.paging.total, page.paging.pages) == (203, 21)
    assert page.paging.next_page_number == 2
    assert page.paging.prev_page is None
    assert page.paging.prev_page_number is None


def test_missing_points_awaiting_is_unknown_not_zero() -> None:
    row = Purchase.model_validate({"purchase_id": "o1", "total_points_awarded": 5})
    assert row.points_awaiting_fulfillment is None
    assert row.total_points_earned is None
    assert row.purchase_total is None
    assert not row.awaiting
    # unknown earned: no claim of a cap
    assert points_over_cap(row.total_points_earned, row.total_points_awarded, None) == 0


def test_purchase_defaults_and_coercion() -> None:
    row = Purchase.model_validate({"purchase_id": 123, "unknown": "ignored"})
    assert row.purchase_id == "123"
    assert row.purchase_id_type == "order_id"
    assert not hasattr(row, "unknown")


def test_naive_timestamp_is_utc() -> None:
    row = Purchase.model_validate(
        {"purchase_id": "o", "last_date_purchased": "2020-05-01T10:00:00"}
    )
    assert row.last_date_purchased == datetime(2020, 5, 1, 10, tzinfo=UTC)
    offset = Purchase.model_validate(
        {"purchase_id": "o", "last_date_purchased": "2020-05-01T12:00:00+02:00"}
    )
    assert offset.last_date_purchased == datetime(2020, 5, 1, 10, tzinfo=UTC)


LINK = "https://pos12.crowdtwist.com/users/1/purchases?id_type=id&page=3"


@pytest.mark.parametrize(
    ("paging", "next_number", "prev_number"),
    [
        ({"next_page": LINK, "prev_page": ""}, 3, None),
        ({"next_page": "", "prev_page": LINK}, None, 3),
        ({"next_page": None, "prev_page": None}, None, None),
        ({}, None, None),
        ({"next_page": "   ", "prev_page": "\t"}, None, None),
        ({"next_page": "/users/1/purchases?page=1", "prev_page": "?page=0"}, 1, 0),
        ({"next_page": "https://x/users/1/purchases?id_type=id"}, None, None),
        ({"next_page": "https://x/?page=two"}, None, None),
        ({"next_page": "https://x/?page=4&page=5"}, 4, None),
    ],
)
def test_paging_links_become_page_numbers(
    paging: dict[str, Any], next_number: int | None, prev_number: int | None
) -> None:
    parsed = Paging.model_validate(paging)
    assert parsed.next_page_number == next_number
    assert parsed.prev_page_number == prev_number


def test_page_number_of_odd_links() -> None:
    assert page_number_of(None) is None
    assert page_number_of("") is None
    assert page_number_of("http://[::1/?page=2") is None  # urlsplit refuses it
    assert page_number_of("?page=-1") == -1


def test_null_counts_and_lists() -> None:
    page = PurchasePage.model_validate(
        {"purchases": None, "paging": {"total": None, "pages": None}}
    )
    assert page.purchases == []
    assert (page.paging.total, page.paging.pages) == (0, 0)
    assert PurchasePage.model_validate({}).purchases == []


@pytest.mark.parametrize(
    "body",
    [
        {"purchases": "x"},
        {"purchases": [{"no_id": 1}]},
        {"purchases": [], "paging": "nope"},
        {"purchases": [{"purchase_id": "o", "purchase_total": "lots"}]},
        {"purchases": [{"purchase_id": "o", "last_date_purchased": "yesterday"}]},
        [],
        "text",
    ],
)
def test_wrong_shapes_are_validation_errors(body: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        PurchasePage.model_validate(body)


def test_detail_with_every_optional_missing() -> None:
    detail = PurchaseDetail.model_validate({"purchase_total": 120, "currency": "USD"})
    assert detail.items == []
    assert detail.coupons == []
    assert detail.custom_data == {}
    assert detail.date_purchased is None
    assert detail.points_awarded is None


def test_detail_full() -> None:
    detail = PurchaseDetail.model_validate(
        {
            "third_party_receipt_id": 555,
            "date_purchased": "2024-03-01T09:30:00Z",
            "channel": "In Store",
            "coupons": ["SPRING10", {"code": "X", "discount": 5}],
            "purchase_total": 120,
            "currency": "USD",
            "base_points": 100,
            "bonus_points": 50,
            "points_awarded": 100,
            "points_earned": 150,
            "custom_data": None,
            "items": [{"sku": "A1", "price": 60, "quantity": 2, "campaigns": [{"id": 1}]}, {}],
        }
    )
    assert detail.third_party_receipt_id == "555"
    assert [c.code for c in detail.coupons] == ["SPRING10", "X"]
    assert detail.custom_data == {}
    assert detail.items[0].quantity == 2
    assert detail.items[1].sku is None
    assert detail.items[1].campaigns == []
    assert points_over_cap(detail.points_earned, detail.points_awarded, None) == 50


def test_models_are_frozen() -> None:
    row = Purchase.model_validate({"purchase_id": "o"})
    with pytest.raises(pydantic.ValidationError):
        row.purchase_id = "p"  # type: ignore[misc]


def test_id_type_labels() -> None:
    assert IdType.EMAIL.label == "email"
    assert IdType.ID.label == "CrowdTwist id"
    assert {t.value for t in IdType} == {"email", "id", "third_party_id", "mobile_phone_number"}


# Integers stay within what a JSON parser hands over (Python's refuses more than 4300 digits).
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "2018-01-01T11:00:18Z", "order_id", "https://x/?page=2", "7"])
)
_keys = st.sampled_from(
    [
        "purchases",
        "paging",
        "purchase_id",
        "purchase_id_type",
        "last_date_purchased",
        "purchase_total",
        "total_points_awarded",
        "total_points_earned",
        "points_awaiting_fulfillment",
        "total",
        "pages",
        "next_page",
        "prev_page",
        "items",
        "coupons",
        "custom_data",
    ]
) | st.text(max_size=6)
json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=6),
    max_leaves=25,
)


@given(json_values)
def test_any_json_validates_or_is_a_validation_error(value: Any) -> None:
    try:
        page = PurchasePage.model_validate(value)
    except pydantic.ValidationError:
        return
    page.paging.next_page_number  # noqa: B018 - the properties must not raise either
    page.paging.prev_page_number  # noqa: B018
    for row in page.purchases:
        assert isinstance(row.purchase_id, str)
        row.awaiting  # noqa: B018


@given(json_values)
def test_any_json_detail_validates_or_is_a_validation_error(value: Any) -> None:
    try:
        detail = PurchaseDetail.model_validate(value)
    except pydantic.ValidationError:
        return
    assert isinstance(detail.items, list)
