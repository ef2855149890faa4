"""What the sandbox's main host answers for User Points: each member's ledger and balance.

Derived from the member's own purchases (each one's awarded points), plus fixed extras every
member has: a sign-up bonus, a goodwill adjustment with notes, and, once the balance allows it,
a reward redemption (negative points). A member added to ``data.py`` gets a consistent balance
with nothing to add here. The total is the ledger's sum; the newest purchase's points are held
for its return window, so the redeemable figure is the total less those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.data import DemoMember

POINTS_REFUSED_ID_TYPE = "mobile_phone_number"
"""The id type the sandbox program's User Points refuses, for every member, as a real program
refuses an id type program-wide (the bot then remembers the refusal per id type)."""
POINTS_FAILING = "carmen"
"""The demo member whose points call fails (500)."""
_POINTS_NOTES = {
    POINTS_FAILING: "Her points balance call fails (500).",
}
POINTS_REFUSED_NOTE = "Points balances cannot be looked up by phone number (id type refused)."
"""Said once in the playground's sidebar: the refusal is the program's, not one member's."""

SIGN_UP_BONUS = 250
ADJUSTMENT = 75
REDEMPTION = 500
_NO_PURCHASES_JOINED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_LEVELS = ((1_000, "New Fan"), (5_000, "Silver"), (15_000, "Gold"))


@dataclass(frozen=True)
class DemoActivity:
    """One line of a member's points ledger."""

    name: str
    num_points: int
    notes: str | None
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "num_points": self.num_points,
            "notes": self.notes,
            "date_created": int(self.at.timestamp()),
        }


def activities_of(member: DemoMember) -> tuple[DemoActivity, ...]:
    """The member's ledger, newest first."""
    oldest_first = sorted(member.purchases, key=lambda p: p.purchased_at)
    joined = (
        oldest_first[0].purchased_at - timedelta(days=14) if oldest_first else _NO_PURCHASES_JOINED
    )
    ledger = [
        DemoActivity("user registration", SIGN_UP_BONUS, None, joined),
        DemoActivity(
            "customer service adjustment",
            ADJUSTMENT,
            f"Goodwill credit: welcome kit arrived late (case CS-{member.crowdtwist_id[-4:]})",
            joined + timedelta(days=3),
        ),
    ]
    kinds = {"order_id": "Order", "receipt_id": "Receipt"}
    ledger += [
        DemoActivity(
            "purchase",
            p.points_awarded,
            f"{kinds.get(p.purchase_id_type, 'Purchase')} {p.purchase_id}",
            p.purchased_at,
        )
        for p in oldest_first
    ]
    if sum(a.num_points for a in ledger) >= REDEMPTION:
        last = max(a.at for a in ledger)
        ledger.append(
            DemoActivity(
                "reward redemption", -REDEMPTION, "$5 off coupon", last + timedelta(days=2)
            )
        )
    return tuple(sorted(ledger, key=lambda a: a.at, reverse=True))


def points_note(member: DemoMember) -> str:
    """What the main host does for ``member`` when it is not the usual balance ("" if usual)."""
    return _POINTS_NOTES.get(member.key, "")


def fan_level(total: int) -> str:
    """The program's level for a balance."""
    for below, name in _LEVELS:
        if total < below:
            return name
    return "Platinum"


def points_answer(member: DemoMember) -> dict[str, Any]:
    """The User Points document for ``member``, as the documentation lists its fields."""
    ledger = activities_of(member)
    total = sum(a.num_points for a in ledger)
    newest = max(member.purchases, key=lambda p: p.purchased_at, default=None)
    held = newest.points_awarded if newest is not None else 0
    return {
        "id": member.crowdtwist_id,
        "total_points": total,
        "redeemable_points": max(0, total - held),
        "num_points_purchased": 0,
        "fan_level": fan_level(total),
        "activities": [a.as_json() for a in ledger],
    }
