"""Typed views of what the CrowdTwist POS and main API hosts send, lenient where the real API is.

The documentation marks every field required, yet real answers omit some: a missing number
is *unknown* (``None``), never 0, and paging links may be a URL, ``""``, ``null`` or absent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class IdType(StrEnum):
    """How CrowdTwist should read a member identifier (the ``id_type`` query parameter)."""

    EMAIL = "email"
    ID = "id"
    THIRD_PARTY_ID = "third_party_id"
    MOBILE_PHONE_NUMBER = "mobile_phone_number"

    @property
    def label(self) -> str:
        """Words for people: "searched as email"."""
        return _ID_TYPE_LABELS[self]


_ID_TYPE_LABELS = {
    IdType.EMAIL: "email",
    IdType.ID: "CrowdTwist id",
    IdType.THIRD_PARTY_ID: "third-party id",
    IdType.MOBILE_PHONE_NUMBER: "mobile phone number",
}


class PurchaseIdType(StrEnum):
    """The kind of a purchase id; Purchase Detail takes the (id, id type) pair."""

    ORDER_ID = "order_id"
    RECEIPT_ID = "receipt_id"


class _Lenient(BaseModel):
    """Ignore unknown keys; accept numbers where strings are expected."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


def _as_utc(value: Any) -> Any:
    """Treat a timestamp without an offset as UTC, as the API documents."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def page_number_of(link: str | None) -> int | None:
    """The ``page`` query parameter of a paging link, or None when there is no usable one."""
    if not link:
        return None
    try:
        values = parse_qs(urlsplit(link).query).get("page")
    except ValueError:
        return None
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


class Purchase(_Lenient):
    """One row of the purchase history."""

    purchase_id: str
    purchase_id_type: str = PurchaseIdType.ORDER_ID.value
    last_date_purchased: datetime | None = None
    purchase_total: float | None = None
    total_points_awarded: int | None = None
    total_points_earned: int | None = None
    points_awaiting_fulfillment: int | None = None

    _utc = field_validator("last_date_purchased", mode="after")(_as_utc)

    @property
    def awaiting(self) -> bool:
        """True when some points are still awaiting fulfilment."""
        return bool(self.points_awaiting_fulfillment and self.points_awaiting_fulfillment > 0)


class Paging(_Lenient):
    """The ``paging`` object: totals and links to neighbouring pages."""

    total: int = 0
    pages: int = 0
    next_page: str | None = None
    prev_page: str | None = None

    @field_validator("next_page", "prev_page", mode="before")
    @classmethod
    def _empty_link_is_none(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return value

    @field_validator("total", "pages", mode="before")
    @classmethod
    def _null_count_is_zero(cls, value: Any) -> Any:
        return 0 if value is None else value

    @property
    def next_page_number(self) -> int | None:
        """The page the ``next_page`` link points at, if any."""
        return page_number_of(self.next_page)

    @property
    def prev_page_number(self) -> int | None:
        """The page the ``prev_page`` link points at, if any."""
        return page_number_of(self.prev_page)


class PurchasePage(_Lenient):
    """One page of a member's purchase history, as the API answered it."""

    purchases: list[Purchase] = Field(default_factory=list)
    paging: Paging = Field(default_factory=Paging)

    @field_validator("purchases", mode="before")
    @classmethod
    def _null_list_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class Coupon(_Lenient):
    """A coupon applied to a purchase; the API leaves its fields program-specific."""

    code: str | None = None
    name: str | None = None
    description: str | None = None
    discount: float | None = None


class Item(_Lenient):
    """One line item of a purchase; every field is optional."""

    sku: str | None = None
    name: str | None = None
    price: float | None = None
    quantity: float | None = None
    points_awarded: int | None = None
    is_excluded: bool | None = None
    campaigns: list[Any] = Field(default_factory=list)


class PurchaseDetail(_Lenient):
    """The Purchase Detail answer: the drill-down into one purchase."""

    third_party_receipt_id: str | None = None
    date_purchased: datetime | None = None
    channel: str | None = None
    coupons: list[Coupon] = Field(default_factory=list)
    purchase_total: float | None = None
    currency: str | None = None
    base_points: int | None = None
    bonus_points: int | None = None
    points_awarded: int | None = None
    points_earned: int | None = None
    custom_data: dict[str, Any] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)

    _utc = field_validator("date_purchased", mode="after")(_as_utc)

    @field_validator("coupons", "items", mode="before")
    @classmethod
    def _null_list_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("coupons", mode="before")
    @classmethod
    def _coupon_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"code": c} if isinstance(c, str | int | float) else c for c in value]
        return value

    @field_validator("custom_data", mode="before")
    @classmethod
    def _null_dict_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class PointsActivity(_Lenient):
    """One line of a member's points ledger (User Points' ``activities``)."""

    name: str | None = None
    num_points: int | None = None
    """Negative for a spend (a redemption)."""
    notes: str | None = None
    date_created: datetime | None = None
    """Unix time in the API; documented as optional."""

    _utc = field_validator("date_created", mode="after")(_as_utc)


class MemberPoints(_Lenient):
    """User Points (main host): the member's balance, level and ledger.

    The total is read as ``total_points`` (CrowdTwist's batch name for the documentation's
    "Total points"), or under that label itself; every figure may be missing (unknown).
    """

    id: str | None = None
    total_points: int | None = Field(
        default=None, validation_alias=AliasChoices("total_points", "Total points")
    )
    redeemable_points: int | None = None
    num_points_purchased: int | None = None
    fan_level: str | None = None
    activities: list[PointsActivity] = Field(default_factory=list)

    @field_validator("activities", mode="before")
    @classmethod
    def _null_list_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


MEMBER_POINTS_KEYS = frozenset(
    {
        "id",
        "total_points",
        "Total points",
        "redeemable_points",
        "num_points_purchased",
        "fan_level",
        "activities",
    }
)
"""Any of these in a 2xx body makes it a User Points answer rather than an error envelope."""
