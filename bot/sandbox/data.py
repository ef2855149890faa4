"""The sandbox's demo members and their purchases: fixed, realistic, identical on every run.

Each member exists to show one thing a client must handle (its ``description`` says which).
Purchases are generated from a per-member seed with :class:`random.Random`, so the data never
changes between runs, and every date is fixed and before 2026-11-26. The brand is a fictional
outdoor-apparel retailer; amounts are whole US dollars and one dollar earns one point.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

ORDER_ID = "order_id"
RECEIPT_ID = "receipt_id"
ID_TYPES = ("email", "id", "third_party_id", "mobile_phone_number")
PURCHASE_ID_TYPES = (ORDER_ID, RECEIPT_ID)

POINT_CAP = 500
"""Points a single purchase can award at most; earning more shows as earned > awarded."""


@dataclass(frozen=True)
class DemoCampaign:
    """A bonus campaign that added points to one line item."""

    id: int
    name: str
    points: int


@dataclass(frozen=True)
class DemoCoupon:
    """A coupon redeemed on a purchase; ``discount`` comes off the purchase total."""

    code: str
    name: str
    discount: int


@dataclass(frozen=True)
class DemoItem:
    """One line item. Excluded items (gift cards) count towards the total but earn nothing."""

    sku: str
    name: str
    price: int
    quantity: int
    is_excluded: bool = False
    campaigns: tuple[DemoCampaign, ...] = ()

    @property
    def base_points(self) -> int:
        """One point per dollar of an eligible item."""
        return 0 if self.is_excluded else self.price * self.quantity

    @property
    def bonus_points(self) -> int:
        """Points added by campaigns."""
        return sum(campaign.points for campaign in self.campaigns)


@dataclass(frozen=True)
class DemoPurchase:
    """One purchase, holding everything both the history row and Purchase Detail show.

    ``points_awaiting`` is None for a member whose history rows omit the key entirely.
    """

    purchase_id: str
    purchase_id_type: str
    purchased_at: datetime
    channel: str
    third_party_receipt_id: str
    items: tuple[DemoItem, ...]
    coupons: tuple[DemoCoupon, ...]
    points_awarded: int
    points_awaiting: int | None
    custom_data: tuple[tuple[str, str], ...]

    @property
    def purchase_total(self) -> int:
        """Items' prices times quantities, less coupon discounts."""
        subtotal = sum(item.price * item.quantity for item in self.items)
        return subtotal - sum(coupon.discount for coupon in self.coupons)

    @property
    def base_points(self) -> int:
        """Points earned by spend on eligible items."""
        return sum(item.base_points for item in self.items)

    @property
    def bonus_points(self) -> int:
        """Points earned through campaigns."""
        return sum(item.bonus_points for item in self.items)

    @property
    def points_earned(self) -> int:
        """Base plus bonus points, before the cap and before fulfilment."""
        return self.base_points + self.bonus_points

    def as_history_row(self) -> dict[str, Any]:
        """The purchase as a row of User Purchase History, keys exactly as the API's sample."""
        row: dict[str, Any] = {
            "last_date_purchased": _utc_timestamp(self.purchased_at),
            "purchase_id": self.purchase_id,
            "purchase_id_type": self.purchase_id_type,
            "purchase_total": self.purchase_total,
            "total_points_awarded": self.points_awarded,
            "total_points_earned": self.points_earned,
        }
        if self.points_awaiting is not None:
            row["points_awaiting_fulfillment"] = self.points_awaiting
        return row

    def as_detail(self) -> dict[str, Any]:
        """The purchase as a Purchase Detail document."""
        return {
            "third_party_receipt_id": self.third_party_receipt_id,
            "date_purchased": _utc_timestamp(self.purchased_at),
            "channel": self.channel,
            "coupons": [
                {"code": c.code, "name": c.name, "discount": c.discount} for c in self.coupons
            ],
            "purchase_total": self.purchase_total,
            "currency": "USD",
            "base_points": self.base_points,
            "bonus_points": self.bonus_points,
            "points_awarded": self.points_awarded,
            "points_earned": self.points_earned,
            "custom_data": dict(self.custom_data),
            "items": [
                {
                    "sku": item.sku,
                    "name": item.name,
                    "price": item.price,
                    "quantity": item.quantity,
                    "points_awarded": item.base_points + item.bonus_points,
                    "is_excluded": item.is_excluded,
                    "campaigns": [
                        {"id": c.id, "name": c.name, "points": c.points} for c in item.campaigns
                    ],
                }
                for item in self.items
            ],
        }


@dataclass(frozen=True)
class DemoMember:
    """A loyalty member the sandbox knows, findable by each of the four id types."""

    key: str
    name: str
    email: str
    crowdtwist_id: str
    third_party_id: str
    phone: str
    description: str
    purchases: tuple[DemoPurchase, ...]
    """Newest first, the API's order."""


@dataclass(frozen=True)
class FailureDemo:
    """An email that makes the sandbox fail the way CrowdTwist can, to demo error replies."""

    email: str
    status: int
    reason: str
    description: str


def _utc_timestamp(moment: datetime) -> str:
    """The API's timestamp form: UTC, to the second, with a ``Z`` (``2024-03-01T14:05:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- generation -------------------------------------------------------------------------------

_CATALOG: tuple[tuple[str, str, int], ...] = (
    ("NW-SHOE-TR2", "Trailhead Runner 2", 129),
    ("NW-SHOE-HKR", "Ridgeline Mid Hiker", 169),
    ("NW-JKT-RAIN", "Packable Rain Shell", 149),
    ("NW-JKT-PRKA", "Summit Down Parka", 249),
    ("NW-VST-DOWN", "Featherlight Down Vest", 119),
    ("NW-FLC-QZIP", "Polar Fleece Quarter-Zip", 89),
    ("NW-PNT-HIKE", "Switchback Hiking Pant", 79),
    ("NW-TEE-CORE", "Everyday Organic Tee", 28),
    ("NW-SCK-MRNO", "Merino Crew Socks", 18),
    ("NW-HAT-BNIE", "Ribbed Wool Beanie", 24),
    ("NW-BAG-DAY2", "Daypack 22L", 99),
    ("NW-BTL-32OZ", "Insulated Bottle 32 oz", 34),
    ("NW-MUG-CAMP", "Enamel Camp Mug", 16),
    ("NW-GLV-TECH", "Touchscreen Liner Gloves", 29),
)
_GIFT_CARD = ("NW-GC-050", "Gift Card $50", 50)
_DOUBLE_FOOTWEAR = (4101, "Double Points on Footwear")
_MEMBER_DAYS = DemoCampaign(4117, "Member Days: +100 points", 100)
_APP_EXCLUSIVE = DemoCampaign(4122, "App Exclusive: +50 points", 50)
_COUPONS = (
    DemoCoupon("SAVE10", "$10 off $100 or more", 10),
    DemoCoupon("GEARUP20", "$20 off $150 or more", 20),
    DemoCoupon("LOYAL15", "$15 member reward", 15),
)
_STORES = (
    ("0412", "PDX", "Portland – Pearl District"),
    ("0218", "DEN", "Denver – Union Station"),
    ("0107", "CHI", "Chicago – Michigan Avenue"),
    ("0530", "SEA", "Seattle – Capitol Hill"),
)
_SHIPPING = ("standard", "express", "pickup_in_store")


@dataclass(frozen=True)
class _Profile:
    """How to generate one member's purchases."""

    member_no: int
    """Seeds the generator and makes the member's purchase ids unique."""
    count: int
    newest: datetime
    gap_hours: tuple[int, int]
    reports_awaiting: bool = True
    awkward_receipts: bool = False
    awaiting_window: int = 0
    """Online orders among this many newest purchases still have points awaiting fulfilment."""


def _item(rng: random.Random, entry: tuple[str, str, int], channel: str) -> DemoItem:
    sku, name, price = entry
    quantity = rng.choice((1, 1, 1, 1, 2, 3))
    campaigns: tuple[DemoCampaign, ...] = ()
    roll = rng.random()
    if sku.startswith("NW-SHOE") and roll < 0.5:
        campaigns = (DemoCampaign(*_DOUBLE_FOOTWEAR, points=price * quantity),)
    elif roll < 0.15:
        campaigns = (_APP_EXCLUSIVE if channel == "Mobile App" else _MEMBER_DAYS,)
    return DemoItem(sku, name, price, quantity, campaigns=campaigns)


def _purchase(rng: random.Random, profile: _Profile, n: int, at: datetime) -> DemoPurchase:
    """Purchase number ``n`` (1 = the member's oldest) made at ``at``."""
    in_store = rng.random() < 0.5
    channel = "In Store" if in_store else rng.choice(("Online", "Mobile App"))
    items = [_item(rng, entry, channel) for entry in rng.sample(_CATALOG, rng.randint(1, 3))]
    if rng.random() < 0.1:
        sku, name, price = _GIFT_CARD
        items.append(DemoItem(sku, name, price, 1, is_excluded=True))
    subtotal = sum(item.price * item.quantity for item in items)
    coupon = rng.choice(_COUPONS)
    coupons = (coupon,) if rng.random() < 0.2 and subtotal >= 150 else ()

    txn = f"{profile.member_no}{n:04d}"
    if in_store:
        store_id, code, store_name = rng.choice(_STORES)
        register = f"{rng.randint(1, 6):02d}"
        if profile.awkward_receipts:
            purchase_id = f"{code} {store_id}/{register} #{txn}"
        else:
            purchase_id = f"{store_id}-{at:%Y%m%d}-{register}-{txn}"
        third_party_receipt_id = f"POS-{store_id}-{register}-{txn}"
        custom: tuple[tuple[str, str], ...] = (
            ("store_id", store_id),
            ("store_name", store_name),
            ("register", register),
        )
        id_type = RECEIPT_ID
    else:
        purchase_id = f"NW-{txn}"
        third_party_receipt_id = f"SHOP-{txn}"
        custom = (("shipping_method", rng.choice(_SHIPPING)), ("sales_channel", channel.lower()))
        id_type = ORDER_ID

    earned = sum(item.base_points + item.bonus_points for item in items)
    awarded = min(earned, POINT_CAP)
    awaiting = 0
    newest_index = profile.count - n
    if awarded == earned and not in_store and newest_index < profile.awaiting_window:
        # The points of the priciest line, not yet shipped, wait for fulfilment.
        awaiting = max(item.base_points + item.bonus_points for item in items)
        awarded = earned - awaiting
    return DemoPurchase(
        purchase_id=purchase_id,
        purchase_id_type=id_type,
        purchased_at=at,
        channel=channel,
        third_party_receipt_id=third_party_receipt_id,
        items=tuple(items),
        coupons=coupons,
        points_awarded=awarded,
        points_awaiting=awaiting if profile.reports_awaiting else None,
        custom_data=custom,
    )


def _purchases(profile: _Profile) -> tuple[DemoPurchase, ...]:
    """The profile's purchases, newest first, each at least an hour after the one before."""
    rng = random.Random(profile.member_no)
    at = profile.newest
    purchases = []
    for n in range(profile.count, 0, -1):
        purchases.append(_purchase(rng, profile, n, at))
        low, high = profile.gap_hours
        at -= timedelta(hours=rng.randint(low, high), minutes=rng.randint(0, 59))
    return tuple(purchases)


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, 7, tzinfo=UTC)


DEMO_MEMBERS: tuple[DemoMember, ...] = (
    DemoMember(
        key="alice",
        name="Alice Martin",
        email="alice@example.com",
        crowdtwist_id="332170040",
        third_party_id="POS-88120040",
        phone="+15550100040",
        description="27 purchases over 15 months: receipts and orders, capped points, "
        "points awaiting fulfilment.",
        purchases=_purchases(
            _Profile(
                member_no=40,
                count=27,
                newest=_utc(2026, 10, 31, 18, 42),
                gap_hours=(240, 620),
                awaiting_window=6,
            )
        ),
    ),
    DemoMember(
        key="ben",
        name="Ben Okafor",
        email="ben.okafor@example.com",
        crowdtwist_id="332170041",
        third_party_id="POS-88120041",
        phone="+15550100041",
        description="Joined recently: no purchases yet.",
        purchases=(),
    ),
    DemoMember(
        key="carmen",
        name="Carmen Ruiz",
        email="carmen.ruiz@example.com",
        crowdtwist_id="332170042",
        third_party_id="LEGACY-7731",
        phone="+15550100042",
        description="12 purchases from the legacy POS: rows carry no "
        "points_awaiting_fulfillment key at all.",
        purchases=_purchases(
            _Profile(
                member_no=42,
                count=12,
                newest=_utc(2026, 9, 19, 16, 5),
                gap_hours=(300, 900),
                reports_awaiting=False,
            )
        ),
    ),
    DemoMember(
        key="dev",
        name="Dev Patel",
        email="dev.patel@example.com",
        crowdtwist_id="332170043",
        third_party_id="POS-88120043",
        phone="+15550100043",
        description="213 purchases (22 pages) over almost two years: paging, date ranges, exports.",
        purchases=_purchases(
            _Profile(
                member_no=43,
                count=213,
                newest=_utc(2026, 11, 14, 12, 30),
                gap_hours=(20, 130),
                awaiting_window=8,
            )
        ),
    ),
    DemoMember(
        key="siobhan",
        name="Siobhán O'Neil",
        email="o'neil+vip@example.com",
        crowdtwist_id="332170044",
        third_party_id="EU/IE 0044#B",
        phone="+15550100044",
        description="Awkward identifiers: + and ' in the email; /, # and a space in the "
        "third-party id and receipt ids.",
        purchases=_purchases(
            _Profile(
                member_no=44,
                count=14,
                newest=_utc(2026, 10, 12, 9, 15),
                gap_hours=(100, 400),
                awkward_receipts=True,
                awaiting_window=4,
            )
        ),
    ),
    DemoMember(
        key="grace",
        name="Grace Lindqvist",
        email="grace.lindqvist@example.com",
        crowdtwist_id="332170045",
        third_party_id="POS-88120045",
        phone="+15550100045",
        description="23 purchases (3 pages) over a year: the Workflow Builder step's totals.",
        purchases=_purchases(
            _Profile(
                member_no=45,
                count=23,
                newest=_utc(2026, 11, 2, 14, 20),
                gap_hours=(200, 500),
                awaiting_window=5,
            )
        ),
    ),
    DemoMember(
        key="hana",
        name="Hana Sato",
        email="hana.sato@example.com",
        crowdtwist_id="332170046",
        third_party_id="POS-88120046",
        phone="+15550100046",
        description="203 purchases (21 pages), some capped, 30 newest online orders awaiting: "
        "find and filter over a whole history.",
        purchases=_purchases(
            _Profile(
                member_no=46,
                count=203,
                newest=_utc(2026, 11, 20, 10, 10),
                gap_hours=(20, 130),
                awaiting_window=60,
            )
        ),
    ),
)

FAILURE_DEMOS: tuple[FailureDemo, ...] = (
    FailureDemo(
        email="not-configured@example.com",
        status=500,
        reason="not_configured",
        description="Purchase history is not set up for the program (500, not_configured).",
    ),
    FailureDemo(
        email="outage@example.com",
        status=503,
        reason="internal_error",
        description="CrowdTwist is failing (503, internal_error): the try-again reply.",
    ),
)


# --- lookups ----------------------------------------------------------------------------------


def _phone_digits(value: str) -> str:
    """A phone number as its ten national digits: formatting, ``+`` and country code 1 dropped."""
    digits = re.sub(r"[^0-9]", "", value)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


_NORMALISE: dict[str, Callable[[str], str]] = {
    "email": str.casefold,
    "id": str,
    "third_party_id": str,
    "mobile_phone_number": _phone_digits,
}


def _identifier(member: DemoMember, id_type: str) -> str:
    return {
        "email": member.email,
        "id": member.crowdtwist_id,
        "third_party_id": member.third_party_id,
        "mobile_phone_number": member.phone,
    }[id_type]


_MEMBERS_BY: dict[str, dict[str, DemoMember]] = {
    id_type: {_NORMALISE[id_type](_identifier(m, id_type)): m for m in DEMO_MEMBERS}
    for id_type in ID_TYPES
}
_PURCHASES_BY_ID: dict[tuple[str, str], DemoPurchase] = {
    (p.purchase_id, p.purchase_id_type): p for m in DEMO_MEMBERS for p in m.purchases
}
_FAILURES_BY_EMAIL = {demo.email.casefold(): demo for demo in FAILURE_DEMOS}


def member_by_any_id(value: str, id_type: str) -> DemoMember | None:
    """The demo member ``value`` names when read as ``id_type``, as CrowdTwist would match it.

    Emails match case-insensitively; phone numbers by their digits, with or without ``+`` and
    country code 1. None when no member matches or ``id_type`` is not one of :data:`ID_TYPES`.
    """
    normalise = _NORMALISE.get(id_type)
    if normalise is None:
        return None
    return _MEMBERS_BY[id_type].get(normalise(value))


def failure_demo(email: str) -> FailureDemo | None:
    """The failure a special demo email stands for, if it is one."""
    return _FAILURES_BY_EMAIL.get(email.casefold())


def purchase_by_id(purchase_id: str, purchase_id_type: str) -> DemoPurchase | None:
    """The purchase Purchase Detail would find for this (id, id type) pair."""
    return _PURCHASES_BY_ID.get((purchase_id, purchase_id_type))


def in_date_range(purchase: DemoPurchase, start: date | None, end: date | None) -> bool:
    """True when the purchase's UTC date is within the inclusive range (either end optional)."""
    day = purchase.purchased_at.astimezone(UTC).date()
    return (start is None or start <= day) and (end is None or day <= end)
