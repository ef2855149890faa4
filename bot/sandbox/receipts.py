"""The sandbox's receipt scans (User Receipt History) and the receipt images it serves itself.

Keyed by demo member (:attr:`~bot.sandbox.data.DemoMember.key`): a member without an entry
has submitted no receipts, so a member added to ``data.py`` works unchanged. Every
documented ``scan_result`` code occurs; an ``AWARDED`` scan is the receipt of an in-store
purchase in that member's history (submitted two hours after it); Carmen's program has no
receipt scanning (400 ``receipt_scanning_inactive``). Images are PNGs drawn here, without
any image library, so the playground shows them with no network.
"""

from __future__ import annotations

import functools
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.sandbox.data import DEMO_MEMBERS, RECEIPT_ID, DemoMember, DemoPurchase

SCANNING_INACTIVE_MEMBERS = frozenset({"carmen"})
"""Members whose program answers 400 ``receipt_scanning_inactive``."""
IMAGE_PATH = "/receipt-images/{file_id}.png"

PROGRAM_TEXTS: dict[str, str] = {
    "NOT_SCANNED": "Thanks! We're reviewing your receipt. This can take up to 48 hours.",
    "RECEIPT_UNREADABLE": "We couldn't read your receipt. Please retake the photo in good light.",
    "INVALID_PURCHASE_DATE": "Receipts must be submitted within 30 days of purchase.",
    "NO_PRODUCTS": "The products listed on your receipt are not included in this promotion.",
    "DUPLICATE_SUBMISSION": "This receipt has already been submitted.",
    "INVALID_STORE": "Purchases from this store are not eligible for Northwind Rewards.",
    "DEFER_TO_CUSTOMER_SERVICE": "Your receipt needs a closer look. Our team will be in touch.",
    "POTENTIAL_FRAUD_DETECTED": "We're unable to process this receipt. Please contact support.",
    "PURCHASED_OUT_OF_STATE": "This promotion is only open to purchases made in Oregon.",
    "NO_STATE_INFO_ON_RECEIPT": "We couldn't find the store's state on your receipt.",
    "NO_STATE_INFO_IN_USER_PROFILE": "Add your state to your profile to earn points on receipts.",
    "NO_MATCHING_PRODUCTS_FOUND": "None of the items on your receipt matched an eligible product.",
    "AWARDED": "Points awarded! Thanks for shopping with Northwind.",
}
"""What the demo program tells its members for each documented code (its own words)."""


@dataclass(frozen=True)
class DemoReceipt:
    """One submitted receipt; ``purchase`` is the history's purchase it is the receipt of."""

    id: int
    submitted_at: datetime
    file_id: str
    file_name: str
    scan_result: str
    scan_result_text: str
    purchase: DemoPurchase | None = None

    def as_row(self, image_origin: str) -> dict[str, object]:
        """The receipt as the API's sample writes one; the image on ``image_origin``."""
        return {
            "date_submitted": self.submitted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "file_id": self.file_id,
            "file_name": self.file_name,
            "file_url": image_origin + IMAGE_PATH.format(file_id=self.file_id),
            "id": self.id,
            "scan_result": self.scan_result,
            "scan_result_text": self.scan_result_text,
        }


# (code, days before the member's newest purchase it was submitted); the newest last.
_PLANS: dict[str, tuple[tuple[str, int], ...]] = {
    "alice": (
        ("AWARDED", 0),
        ("DUPLICATE_SUBMISSION", 0),
        ("NO_PRODUCTS", 40),
        ("INVALID_PURCHASE_DATE", 75),
        ("AWARDED", 0),
        ("DEFER_TO_CUSTOMER_SERVICE", -3),
        ("POTENTIAL_FRAUD_DETECTED", -6),
        ("NOT_SCANNED", -25),
    ),
    "ben": (
        ("RECEIPT_UNREADABLE", -10),
        ("NO_PRODUCTS", -9),
        ("DUPLICATE_SUBMISSION", -9),
        ("NO_MATCHING_PRODUCTS_FOUND", -4),
    ),
    "siobhan": (
        ("AWARDED", 0),
        ("PURCHASED_OUT_OF_STATE", 20),
        ("NO_STATE_INFO_ON_RECEIPT", 12),
        ("NO_STATE_INFO_IN_USER_PROFILE", 11),
        ("MANUAL_REVIEW_QUEUED", 2),
    ),
    "grace": (
        ("AWARDED", 0),
        ("INVALID_STORE", 30),
        ("AWARDED", 0),
        ("NOT_SCANNED", -1),
    ),
}
_DEV_CODES = (
    "AWARDED",
    "NO_PRODUCTS",
    "DUPLICATE_SUBMISSION",
    "AWARDED",
    "RECEIPT_UNREADABLE",
    "AWARDED",
    "INVALID_STORE",
    "NO_MATCHING_PRODUCTS_FOUND",
)
_UNKNOWN_TEXT = "Your receipt is in the manual review queue."


def _newest(member: DemoMember) -> datetime:
    if member.purchases:
        return member.purchases[0].purchased_at
    return datetime(2026, 11, 20, 15, 0, 7, tzinfo=UTC)


def _receipts_for(member: DemoMember, number: int) -> tuple[DemoReceipt, ...]:
    """The member's receipts, oldest first (the order the sandbox answers in: the API
    documents none, so the bot sorts)."""
    rng = random.Random(f"receipts-{member.key}")
    in_store = [p for p in member.purchases if p.purchase_id_type == RECEIPT_ID]
    plan = list(_PLANS.get(member.key, ()))
    if member.key == "dev":
        plan = [(_DEV_CODES[i % len(_DEV_CODES)], 0 if i % 4 == 0 else 5 * i) for i in range(31)]
        plan += [("DEFER_TO_CUSTOMER_SERVICE", -2)]
    newest = _newest(member)
    receipts: list[DemoReceipt] = []
    for n, (code, days) in enumerate(plan):
        purchase = None
        if code == "AWARDED" and in_store:
            purchase = in_store.pop(0)
            submitted = purchase.purchased_at + timedelta(hours=2, minutes=rng.randint(0, 50))
        else:
            submitted = newest - timedelta(days=days, hours=rng.randint(1, 20))
        file_id = f"{rng.getrandbits(64):016x}{number:02d}{n:02d}"
        name = f"IMG_{4100 + number * 100 + n}.jpg" if n % 3 else f"receipt-{n + 1}.jpg"
        text = PROGRAM_TEXTS.get(code, _UNKNOWN_TEXT)
        receipts.append(
            DemoReceipt(19300 + number * 100 + n, submitted, file_id, name, code, text, purchase)
        )
    receipts.sort(key=lambda r: r.submitted_at)
    return tuple(receipts)


DEMO_RECEIPTS: dict[str, tuple[DemoReceipt, ...]] = {
    member.key: _receipts_for(member, number) for number, member in enumerate(DEMO_MEMBERS)
}
_BY_FILE_ID = {r.file_id: r for receipts in DEMO_RECEIPTS.values() for r in receipts}


def receipts_of(member: DemoMember) -> tuple[DemoReceipt, ...]:
    """The member's receipts, oldest first; none for a member without an entry."""
    return DEMO_RECEIPTS.get(member.key, ())


def receipt_image(file_id: str) -> bytes | None:
    """The PNG of a demo receipt, or None for a file id the sandbox never gave out."""
    receipt = _BY_FILE_ID.get(file_id)
    return None if receipt is None else _drawn(receipt.file_id, receipt.scan_result)


# --- drawing -----------------------------------------------------------------------------------

_WIDTH, _HEIGHT = 240, 420
_BACKDROP = (64, 70, 78)
_PAPER = (250, 248, 240)
_INK = (60, 60, 66)
_BRAND = (31, 94, 70)


@functools.lru_cache(maxsize=64)
def _drawn(file_id: str, scan_result: str) -> bytes:
    """A photographed receipt: paper on a table, the shop's band, item lines, a total and a
    barcode; an unreadable one is faint. Deterministic per file id."""
    rng = random.Random(file_id)
    pixels = [bytearray(bytes(_BACKDROP) * _WIDTH) for _ in range(_HEIGHT)]
    faint = scan_result == "RECEIPT_UNREADABLE"
    ink = (200, 198, 192) if faint else _INK

    def fill(x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int]) -> None:
        span = bytes(colour) * (x1 - x0)
        for y in range(max(0, y0), min(_HEIGHT, y1)):
            pixels[y][x0 * 3 : x1 * 3] = span

    left, right = 30, 210
    fill(left, 20, right, 400, _PAPER)
    fill(left + 20, 34, right - 20, 58, (170, 190, 180) if faint else _BRAND)
    y = 76
    for _ in range(rng.randint(4, 7)):
        fill(left + 14, y, left + 14 + rng.randint(50, 100), y + 6, ink)
        fill(right - 50, y, right - 14, y + 6, ink)
        y += 18
    fill(left + 10, y + 4, right - 10, y + 6, ink)
    fill(left + 14, y + 16, left + 70, y + 26, ink)
    fill(right - 64, y + 16, right - 14, y + 26, ink)
    x = left + 24
    while x < right - 26:
        bar = rng.choice((1, 1, 2, 3))
        fill(x, 340, x + bar, 380, ink)
        x += bar + rng.choice((1, 2, 2, 3))
    return _png(pixels)


def _png(rows: list[bytearray]) -> bytes:
    """RGB rows as a PNG (8 bits a channel, no filter)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", len(rows[0]) // 3, len(rows), 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
